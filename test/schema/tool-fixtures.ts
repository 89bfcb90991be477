/**
 * Tool files in the layouts of public projects, shaped after their real files (StableToolBench
 * `toolenv/tools/<Category>/<tool>.json` and `data/instruction/G1_query.json`; BFCL `BFCL_v3_*.json`). Tests
 * write them into their temp dir.
 */

/** A StableToolBench tool: required and optional parameters, RapidAPI types, `template_response`. */
export const TOOLBENCH_TOOL = {
  product_id: 'api_5e1a8c3b-0000-4c7e-9a41-000000000001',
  tool_description: 'Current weather and forecasts for any city.',
  home_url: 'https://rapidapi.com/example/api/weather-forecast-14/',
  name: 'Weather Forecast 14',
  title: 'Weather Forecast 14',
  pricing: 'FREEMIUM',
  tool_name: 'Weather Forecast 14',
  score: {
    avgServiceLevel: 100,
    avgLatency: 512,
    avgSuccessRate: 100,
    popularityScore: 9.1,
    __typename: 'Score',
  },
  host: 'weather-forecast-14.p.rapidapi.com',
  category_name: 'Weather',
  api_list: [
    {
      name: 'Get Current Weather',
      url: 'https://weather-forecast-14.p.rapidapi.com/current',
      description: 'Current conditions in a city.',
      method: 'GET',
      required_parameters: [
        {
          name: 'city',
          type: 'STRING',
          description: 'City name',
          default: 'London',
        },
      ],
      optional_parameters: [
        {
          name: 'units',
          type: 'ENUM',
          description: 'metric or imperial',
          default: '',
        },
        {
          name: 'date',
          type: 'DATE (YYYY-MM-DD)',
          description: 'Day of the observation',
          default: '2023-05-01',
        },
        {
          name: 'from',
          type: 'NUMBER',
          description: 'Start hour',
          default: 0,
        },
      ],
      code: 'import requests\n\nurl = "https://weather-forecast-14.p.rapidapi.com/current"\n',
      statuscode: 200,
      body: {},
      headers: {},
      schema: {},
      test_endpoint: {
        temp: 11.2,
      },
      template_response: {
        location: {
          name: 'str',
          lat: 'float',
          lon: 'float',
        },
        temp: 'float',
        alerts: [
          {
            title: 'str',
            _list_length: 2, // ToolBench's note of the cut list's length, no field
          },
        ],
        note: 'NoneType',
      },
    },
    {
      name: '5 day forecast',
      url: 'https://weather-forecast-14.p.rapidapi.com/forecast',
      description: 'Five day forecast at a point.',
      method: 'GET',
      required_parameters: [
        {
          name: 'location',
          type: 'GEOPOINT (latitude, longitude)',
          description: 'lat,lon',
          default: '51.5,-0.1',
        },
        {
          name: 'days',
          type: 'NUMBER',
          description: 'How many days',
          default: 5,
        },
      ],
      optional_parameters: [
        {
          name: 'lang',
          type: 'STRING',
          description: '',
          default: 'en',
        },
      ],
      template_response: {
        list: [
          {
            dt: 'int',
            temp: 'float',
          },
        ],
      },
    },
  ],
};

/** A ToolBench query file: each query lists the APIs it may use, the same API repeated across queries. */
export const TOOLBENCH_QUERIES = [
  {
    query: "What's the weather in Paris now, and the 5-day forecast there?",
    query_id: 101,
    api_list: [
      {
        category_name: 'Weather',
        tool_name: 'Weather Forecast 14',
        api_name: 'Get Current Weather',
        api_description: 'Current conditions in a city.',
        required_parameters: [
          {
            name: 'city',
            type: 'STRING',
            description: 'City name',
            default: 'London',
          },
        ],
        optional_parameters: [
          {
            name: 'units',
            type: 'ENUM',
            description: 'metric or imperial',
            default: '',
          },
        ],
        method: 'GET',
        template_response: {
          temp: 'float',
        },
      },
      {
        category_name: 'Weather',
        tool_name: 'Weather Forecast 14',
        api_name: '5 day forecast',
        api_description: 'Five day forecast at a point.',
        required_parameters: [
          {
            name: 'location',
            type: 'GEOPOINT (latitude, longitude)',
            description: 'lat,lon',
            default: '51.5,-0.1',
          },
        ],
        optional_parameters: [],
        method: 'GET',
      },
    ],
    'relevant APIs': [
      ['Weather Forecast 14', 'Get Current Weather'],
      ['Weather Forecast 14', '5 day forecast'],
    ],
  },
  {
    query: 'Convert 100 USD to EUR, and is it raining in Rome?',
    query_id: 102,
    api_list: [
      {
        category_name: 'Finance',
        tool_name: 'Currency Exchange',
        api_name: 'convert',
        api_description: 'Converts an amount between currencies.',
        required_parameters: [
          {
            name: 'from',
            type: 'STRING',
            description: 'Source currency',
            default: 'USD',
          },
          {
            name: 'to',
            type: 'STRING',
            description: 'Target currency',
            default: 'EUR',
          },
        ],
        optional_parameters: [
          {
            name: 'amount',
            type: 'NUMBER',
            description: 'Amount',
            default: '1',
          },
        ],
        method: 'GET',
        template_response: {
          result: 'float',
          rate: 'float',
        },
      },
      {
        category_name: 'Weather',
        tool_name: 'Weather Forecast 14',
        api_name: 'Get Current Weather',
        api_description: 'Current conditions in a city.',
        required_parameters: [
          {
            name: 'city',
            type: 'STRING',
            description: 'City name',
            default: 'London',
          },
        ],
        optional_parameters: [
          {
            name: 'units',
            type: 'ENUM',
            description: 'metric or imperial',
            default: '',
          },
        ],
        method: 'GET',
        template_response: {
          temp: 'float',
        },
      },
    ],
    'relevant APIs': [
      ['Currency Exchange', 'convert'],
      ['Weather Forecast 14', 'Get Current Weather'],
    ],
  },
];

const user = (content: string) => [[{ role: 'user', content }]];
const triangle = {
  name: 'calculate_triangle_area',
  description: 'Calculate the area of a triangle given its base and height.',
  parameters: {
    type: 'dict',
    properties: {
      base: { type: 'integer', description: 'The base of the triangle.' },
      height: { type: 'integer', description: 'The height of the triangle.' },
      unit: { type: 'string', description: "The unit of measure (defaults to 'units' if not specified)" },
    },
    required: ['base', 'height'],
  },
};

/** BFCL question lines (`BFCL_v3_simple.json`, `_multiple`, `_java`, `_javascript`): the same function offered again, dotted names, Python/Java/JS types. */
export const BFCL_QUESTIONS = [
  { id: 'simple_0', question: user('Find the area of a triangle with a base of 10 units and height of 5 units.'), function: [triangle] },
  {
    id: 'multiple_4',
    question: user('Play Taylor Swift for 20 minutes, then compute 5 factorial.'),
    function: [
      triangle,
      {
        name: 'spotify.play',
        description: 'Play specific tracks from a given artist for a specific time duration.',
        parameters: {
          type: 'dict',
          properties: {
            artist: { type: 'string', description: 'The artist whose songs you want to play.' },
            duration: { type: 'integer', description: 'The duration for which the songs should be played, in minutes.' },
            genres: { type: 'array', items: { type: 'string' }, enum: ['Pop', 'Rock', 'Jazz'], description: 'Genres to play.' },
          },
          required: ['artist', 'duration'],
        },
      },
      {
        name: 'math.factorial',
        description: 'Calculate the factorial of a given number.',
        parameters: { type: 'dict', properties: { number: { type: 'integer', description: 'The number.' } }, required: ['number'] },
      },
    ],
  },
  {
    id: 'javascript_3',
    question: user("Validate the 'email' field, complete, with options {strict: true}."),
    function: {
      name: 'validateUserInput',
      description: 'Validates a form field.',
      parameters: {
        type: 'dict',
        properties: {
          inputField: { type: 'String', description: 'The field to validate.' },
          isComplete: { type: 'Boolean', description: 'Whether the form is complete.' },
          options: { type: 'any', description: 'Validation options, any value.' },
        },
        required: ['inputField', 'isComplete'],
      },
    },
  },
  {
    id: 'java_7',
    question: user('Move the robot along the path (1.5, 2.0) with settings {speed: fast}.'),
    function: [
      {
        name: 'RobotController.move',
        description: 'Moves the robot along a path.',
        parameters: {
          type: 'dict',
          properties: {
            point: { type: 'tuple', items: { type: 'float' }, description: 'Target point (x, y).' },
            settings: { type: 'HashMap', description: 'Settings map.' },
            waypoints: { type: 'ArrayList', items: { type: 'long' }, description: 'Waypoint ids.' },
            mode: { type: 'char', description: 'Mode letter.' },
          },
          required: ['point'],
        },
      },
    ],
  },
];

const fsTool = 'This tool belongs to a small file system. Tool description: ';
/**
 * BFCL function docs (`multi_turn_func_doc/*.json`: one function a line, `parameters.type: 'dict'`, a `response`
 * schema, `default`s on optional parameters, an empty response for tools that return nothing).
 */
export const BFCL_FUNC_DOCS = [
  {
    name: 'cd',
    description: `${fsTool}Change the current working directory to the specified folder.`,
    parameters: { type: 'dict', properties: { folder: { type: 'string', description: 'The folder to change to.' } }, required: ['folder'] },
    response: { type: 'dict', properties: { current_working_directory: { type: 'string', description: 'The new working directory.' } } },
  },
  {
    name: 'tail',
    description: `${fsTool}Display the last part of a file.`,
    parameters: {
      type: 'dict',
      properties: {
        file_name: { type: 'string', description: 'The file to display.' },
        lines: { type: 'integer', description: 'Lines to display. Defaults to 10.', default: 10 },
      },
      required: ['file_name'],
    },
    response: { type: 'dict', properties: { last_lines: { type: 'string', description: 'The last part of the file.' } } },
  },
  {
    name: 'find',
    description: `${fsTool}Find files or directories whose name contains a string.`,
    parameters: {
      type: 'dict',
      properties: {
        path: { type: 'string', description: 'Where to start. Defaults to ".".', default: '.' },
        name: { type: 'string', description: 'The name to search for. Defaults to None.', default: 'None' },
      },
      required: [],
    },
    response: {
      type: 'dict',
      properties: { matches: { type: 'array', description: 'Matching paths.', items: { type: 'string' } } },
    },
  },
  {
    name: 'post_tweet',
    description: 'This tool belongs to a social media API. Tool description: Post a tweet.',
    parameters: {
      type: 'dict',
      properties: {
        content: { type: 'string', description: 'The tweet.' },
        tags: { type: 'array', items: { type: 'string' }, description: 'Hashtags.', default: [] },
        mentions: { type: 'array', items: { type: 'string' }, description: 'Users mentioned.', default: [] },
      },
      required: ['content'],
    },
    response: {
      type: 'dict',
      properties: { id: { type: 'integer', description: 'Tweet id.' }, username: { type: 'string', description: 'Author.' } },
    },
  },
  {
    name: 'touch',
    description: `${fsTool}Create a new empty file.`,
    parameters: { type: 'dict', properties: { file_name: { type: 'string', description: 'The new file.' } }, required: ['file_name'] },
    response: { type: 'dict', properties: {} },
  },
];

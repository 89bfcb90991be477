import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { standardize, toolbenchFunctionName } from '../../src/pipeline/tool-service/names.js';
import { parseToolText, toolbenchName } from '../../src/schema/tool-file.js';
import { resolveVirtualName } from '../../src/server/tools-virtual.js';
import { loadToolsetFile } from '../../src/tools/toolset.js';
import { precheckCall } from '../../src/validate/precheck.js';
import { importTools } from '../../src/carg/repository.js';
import { memoryCarg } from '../carg/helpers.js';
import { bothAgree } from './tool-agree.js';
import { BFCL_FUNC_DOCS, BFCL_QUESTIONS, TOOLBENCH_QUERIES, TOOLBENCH_TOOL } from './tool-fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'mtr-tool-formats-'));
const write = (name: string, value: unknown): string => {
  const file = join(tmp, name);
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  return file;
};

describe('StableToolBench / ToolBench tool JSON and query files', () => {
  it('names every API as ToolBench names its function, the same rule as the /virtual resolver', () => {
    for (const [api, tool] of [
      ['Get Current Weather', 'Weather Forecast 14'],
      ['5 day forecast', 'Weather Forecast 14'],
      ['id', 'X'],
      ['An extremely long endpoint name that goes on and on', 'A tool with a long name too'],
    ] as const) {
      expect(toolbenchName(api, tool)).toBe(toolbenchFunctionName(api, standardize(tool)));
    }
    expect(toolbenchName('5 day forecast', 'Weather Forecast 14')).toBe('get_5_day_forecast_for_weather_forecast_14');
    expect(toolbenchName('An extremely long endpoint name that goes on and on', 'A tool with a long name too')).toHaveLength(64);
  });

  it('a tool JSON: one template per API, required AND optional parameters, template_response as responses, category/tool as field', () => {
    const read = parseToolText(JSON.stringify(TOOLBENCH_TOOL, null, 2), 'w.json');
    expect(read.format).toBe('toolbench');
    expect(read.candidates.map((c) => [c.source, c.field, c.subfield])).toEqual([
      ['w.json#/api_list/0', 'Weather', 'Weather Forecast 14'],
      ['w.json#/api_list/1', 'Weather', 'Weather Forecast 14'],
    ]);
    expect(read.candidates[0]!.raw).toEqual({
      api_name: 'get_current_weather_for_weather_forecast_14',
      source_name: 'Get Current Weather', // the API's own name, so the function name maps back
      api_description: 'Current conditions in a city.',
      field: 'Weather/Weather Forecast 14',
      parameters: {
        city: { type: 'STRING', description: 'City name', examples: ['London'] },
        units: { type: 'ENUM', description: 'metric or imperial' },
        date: { type: 'DATE (YYYY-MM-DD)', description: 'Day of the observation', examples: ['2023-05-01'] },
        from: { type: 'NUMBER', description: 'Start hour', examples: [0] },
      },
      required: ['city'],
      responses: {
        location: { type: 'object', properties: { name: { type: 'string' }, lat: { type: 'number' }, lon: { type: 'number' } } },
        temp: { type: 'number' },
        alerts: { type: 'array', items: { type: 'object', properties: { title: { type: 'string' } } } },
        note: { type: 'null' },
      },
    });
  });

  it('carg import and serve read a tool JSON to the same tools; /virtual finds each by tool and API name; calls pass the pre-check', async () => {
    const { served, rows, imported } = await bothAgree(write('weather.json', TOOLBENCH_TOOL));
    expect(imported.files).toEqual([{ file: join(tmp, 'weather.json'), format: 'toolbench', tools: 2 }]);
    expect(rows.map((r) => [r.name, r.status, r.field, r.subfield])).toEqual([
      ['get_current_weather_for_weather_forecast_14', 'accepted', 'Weather', 'Weather Forecast 14'],
      ['get_5_day_forecast_for_weather_forecast_14', 'incomplete', 'Weather', 'Weather Forecast 14'], // `lang` has an empty description
    ]);
    const names = served.tools.map((t) => t.api_name);
    for (const api of TOOLBENCH_TOOL.api_list) {
      const found = resolveVirtualName(names, 'Weather Forecast 14', api.name);
      expect(found).toBe(toolbenchName(api.name, 'Weather Forecast 14'));
    }
    const current = served.tools.find((t) => t.api_name.startsWith('get_current'))!;
    expect(precheckCall(current, { city: 'Paris', units: 'metric', date: '2023-05-01', from: 6 })).toBeUndefined();
    expect(precheckCall(current, { units: 'metric' })).toMatchObject({ type: 'missing_required', parameter: 'city' });
    const forecast = served.tools.find((t) => t.api_name.startsWith('get_5'))!;
    expect(precheckCall(forecast, { location: '48.8,2.3', days: 5, lang: 'fr' })).toBeUndefined();
  });

  it('a query file: the APIs of every query, each once, with its own tool and category', async () => {
    const read = parseToolText(JSON.stringify(TOOLBENCH_QUERIES, null, 2), 'q.json');
    expect(read.candidates.map((c) => [c.source, (c.raw as { api_name: string }).api_name, c.field])).toEqual([
      ['q.json#/0/api_list/0', 'get_current_weather_for_weather_forecast_14', 'Weather'],
      ['q.json#/0/api_list/1', 'get_5_day_forecast_for_weather_forecast_14', 'Weather'],
      ['q.json#/1/api_list/0', 'convert_for_currency_exchange', 'Finance'],
    ]);
    const { rows, served } = await bothAgree(write('G1_query.json', TOOLBENCH_QUERIES));
    // no template_response: the responses are a gap a model may fill (incomplete), never a rejection
    expect(rows.map((r) => [r.name, r.status])).toEqual([
      ['get_current_weather_for_weather_forecast_14', 'accepted'],
      ['get_5_day_forecast_for_weather_forecast_14', 'incomplete'],
      ['convert_for_currency_exchange', 'accepted'],
    ]);
    const convert = served.tools.find((t) => t.api_name === 'convert_for_currency_exchange')!;
    expect(convert).toMatchObject({ required: ['from', 'to'], responses: { result: { type: 'number' }, rate: { type: 'number' } } });
    expect(
      resolveVirtualName(
        served.tools.map((t) => t.api_name),
        'Currency Exchange',
        'convert',
      ),
    ).toBe('convert_for_currency_exchange');
  });
});

describe('StableToolBench RapidAPI types seen in the public files', () => {
  it('BINARY (an upload, as in G1_category.json) is a string in import and serve, not an unknown type', async () => {
    const api = {
      category_name: 'Visual_Recognition',
      tool_name: 'Face Finder',
      api_name: 'Detect faces',
      api_description: 'Finds faces in an image.',
      required_parameters: [{ name: 'imageData', type: 'BINARY', description: 'The image', default: '' }],
      optional_parameters: [],
      method: 'POST',
      template_response: { faces: 'int' },
    };
    const { served, rows } = await bothAgree(write('G1_category.json', [{ query: 'Faces?', query_id: 1, api_list: [api] }]));
    expect(rows.map((r) => [r.name, r.status])).toEqual([['detect_faces_for_face_finder', 'accepted']]);
    expect(served.tools[0]!.parameters.imageData).toEqual({ type: 'string', description: 'The image' });
  });
});

describe('BFCL question files', () => {
  const lines = BFCL_QUESTIONS.map((q) => JSON.stringify(q)).join('\n');

  it('gathers the functions of every question, each name once, where it was first offered', () => {
    const read = parseToolText(lines, 'b.json');
    expect(read.format).toBe('bfcl');
    expect(read.candidates.map((c) => [c.source, (c.raw as { api_name: string }).api_name])).toEqual([
      ['b.json:1#/function/0', 'calculate_triangle_area'],
      ['b.json:2#/function/1', 'spotify.play'],
      ['b.json:2#/function/2', 'math.factorial'],
      ['b.json:3#/function', 'validateUserInput'],
      ['b.json:4#/function/0', 'RobotController.move'],
    ]);
  });

  it('carg import and serve accept the same tools, Python/Java/JS types mapped once; gold calls pass the pre-check', async () => {
    const { served, imported } = await bothAgree(write('BFCL_v3_mixed.json', lines));
    expect(imported.files).toEqual([{ file: join(tmp, 'BFCL_v3_mixed.json'), format: 'bfcl', tools: 5 }]);
    expect(served.tools.map((t) => t.api_name)).toEqual([
      'calculate_triangle_area',
      'spotify_play',
      'math_factorial',
      'validateUserInput',
      'RobotController_move',
    ]);
    const tool = (name: string) => served.tools.find((t) => t.api_name === name)!;
    expect(tool('RobotController_move').parameters).toMatchObject({
      point: { type: 'array', items: { type: 'number' } },
      settings: { type: 'object' },
      waypoints: { type: 'array', items: { type: 'integer' } },
      mode: { type: 'string' },
    });
    expect(tool('validateUserInput').parameters.options!.type).toEqual(['string', 'integer', 'number', 'boolean', 'array', 'object', 'null']);
    const gold: [string, Record<string, unknown>][] = [
      ['calculate_triangle_area', { base: 10, height: 5 }],
      ['spotify_play', { artist: 'Taylor Swift', duration: 20, genres: ['Pop', 'Rock'] }],
      ['math_factorial', { number: 5 }],
      ['validateUserInput', { inputField: 'email', isComplete: true, options: { strict: true } }],
      ['validateUserInput', { inputField: 'email', isComplete: false, options: 'strict' }],
      ['RobotController_move', { point: [1.5, 2.0], settings: { speed: 'fast' }, waypoints: [1, 2], mode: 'A' }],
    ];
    for (const [name, args] of gold) expect(precheckCall(tool(name), args), name).toBeUndefined();
    expect(precheckCall(tool('spotify_play'), { artist: 'A', duration: 1, genres: ['Polka'] })).toMatchObject({ type: 'invalid_value' });
    expect(precheckCall(tool('RobotController_move'), { point: ['x'] })).toMatchObject({ type: 'type_error', parameter: 'point.0' });
  });
});

describe('BFCL function docs', () => {
  const lines = BFCL_FUNC_DOCS.map((f) => JSON.stringify(f)).join('\n');

  it('one tool a line, `dict` read as object, the response schema kept as the responses', () => {
    const read = parseToolText(lines, 'gorilla_file_system.json');
    expect(read.format).toBe('bfcl');
    expect(read.candidates.map((c) => c.source)).toEqual([1, 2, 3, 4, 5].map((n) => `gorilla_file_system.json:${n}`));
    const served = new Map(loadToolsetFile(write('gorilla_file_system.json', lines)).tools.map((t) => [t.api_name, t]));
    expect(served.get('find')!.responses).toEqual({ matches: { type: 'array', description: 'Matching paths.', items: { type: 'string' } } });
    expect(served.get('tail')!.parameters.lines).toMatchObject({ type: 'integer', default: 10 });
    expect(served.get('touch')!.responses).toEqual({}); // returns nothing: answered free-form, kept incomplete by carg
  });

  it('carg import and serve agree; a tool with a response is accepted, not incomplete; gold calls pass the pre-check', async () => {
    const { imported, served, rows } = await bothAgree(write('func_doc.json', lines));
    expect(imported.files).toEqual([{ file: join(tmp, 'func_doc.json'), format: 'bfcl', tools: 5 }]);
    expect(rows.map((r) => [r.name, r.status])).toEqual([
      ['cd', 'accepted'],
      ['tail', 'accepted'],
      ['find', 'accepted'],
      ['post_tweet', 'accepted'],
      ['touch', 'incomplete'],
    ]);
    const tool = (name: string) => served.tools.find((t) => t.api_name === name)!;
    // BFCL multi-turn ground truth: cd(folder='document'), tail(file_name='log.txt', lines=1), find(), post_tweet(...)
    const gold: [string, Record<string, unknown>][] = [
      ['cd', { folder: 'document' }],
      ['tail', { file_name: 'log.txt', lines: 1 }],
      ['find', {}],
      ['post_tweet', { content: 'Done', tags: ['#fs'], mentions: [] }],
      ['touch', { file_name: 'a.txt' }],
    ];
    for (const [name, args] of gold) expect(precheckCall(tool(name), args), name).toBeUndefined();
    expect(precheckCall(tool('tail'), { file_name: 'log.txt', lines: 'one' })).toMatchObject({ type: 'type_error', parameter: 'lines' });
    expect(precheckCall(tool('cd'), {})).toMatchObject({ type: 'missing_required', parameter: 'folder' });
  });
});

describe('BFCL quirks seen in the public files', () => {
  it('a tuple response (`items: [{float}, {string}]`, memory_kv.json) and an empty type (`"type": ""`, simple_javascript_23) are read, not rejected', async () => {
    const search = {
      name: 'kv_search',
      description: 'Ranks keys by BM25+.',
      parameters: { type: 'dict', properties: { query: { type: 'string', description: 'Text.' } }, required: ['query'] },
      response: {
        type: 'dict',
        properties: {
          ranked: { type: 'array', description: 'Score and key pairs.', items: { type: 'array', items: [{ type: 'float' }, { type: 'string' }] } },
          keys: { type: 'array', description: 'Keys.', items: { type: 'array', items: [{ type: 'string' }, { type: 'string' }] } },
        },
      },
    };
    const token = {
      id: 'simple_javascript_23',
      question: [[{ role: 'user', content: 'Token for johndoe.' }]],
      function: [
        {
          name: 'createAuthToken',
          description: 'Makes a token.',
          parameters: {
            type: 'dict',
            properties: {
              username: { type: 'String', description: 'User.' },
              options: {
                type: 'dict',
                description: 'Options.',
                properties: { issuer: { type: '', description: 'Issuer.' }, role: { type: 'String', description: 'Role.' } },
              },
            },
            required: ['username', 'options'],
          },
        },
      ],
    };
    const docs = await bothAgree(write('memory_kv.json', JSON.stringify(search)));
    const kv = docs.served.tools[0]!;
    expect(kv.responses.ranked!.items).toEqual({ type: 'array', items: { type: ['number', 'string'] } });
    expect(kv.responses.keys!.items).toEqual({ type: 'array', items: { type: 'string' } });
    const questions = await bothAgree(write('BFCL_v4_simple_javascript.json', JSON.stringify(token)));
    expect(questions.rows.map((r) => [r.name, r.status])).toEqual([['createAuthToken', 'incomplete']]);
    const tool = questions.served.tools[0]!;
    expect(precheckCall(tool, { username: 'johndoe', options: { issuer: 'myapp.net', role: 'admin' } })).toBeUndefined();
    expect(precheckCall(tool, { username: 'johndoe', options: { issuer: 7, role: 'admin' } })).toBeUndefined(); // no type given: any value
  });

  it('a name a later question defines differently is not lost unseen: serve reports it skipped, carg stores it as a duplicate', async () => {
    const weather = (properties: Record<string, unknown>) => ({
      name: 'get_current_weather',
      description: 'Weather now.',
      parameters: { type: 'dict', properties, required: ['location'] },
    });
    const plain = weather({ location: { type: 'string', description: 'City.' } });
    const withUrl = weather({ location: { type: 'string', description: 'City.' }, url: { type: 'string', description: 'Endpoint.' } });
    const lines = [plain, plain, withUrl].map((fn, i) => JSON.stringify({ id: `live_simple_${i}`, question: [[]], function: [fn] })).join('\n');
    const read = parseToolText(lines, 'BFCL_v4_live_simple.json');
    expect(read.candidates.map((c) => c.source)).toEqual(['BFCL_v4_live_simple.json:1#/function/0', 'BFCL_v4_live_simple.json:3#/function/0']);
    const file = write('BFCL_v4_live_simple.json', lines);
    const served = loadToolsetFile(file);
    expect(served.tools.map((t) => Object.keys(t.parameters))).toEqual([['location']]);
    expect(served.skipped).toEqual([{ where: `${file}:3#/function/0`, reasons: [expect.stringMatching(/already taken by a different tool/)] }]);
    const db = await memoryCarg();
    const imported = await importTools(db, [file]);
    expect(imported).toMatchObject({ rejected: 0, duplicates: 1 });
    expect((await db.listTools()).map((r) => [r.name, r.status])).toEqual([
      ['get_current_weather', 'incomplete'],
      ['get_current_weather', 'duplicate'],
    ]);
  });
});

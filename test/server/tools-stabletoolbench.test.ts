import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FileTool, ToolTemplate } from '../../src/schema/tool.js';
import { createToolsApp } from '../../src/server/tools-app.js';
import { changeName, closeNames, standardize, toolbenchFunctionName, undoArgumentRenames } from '../../src/pipeline/tool-service/names.js';
import { startToolsServer } from '../../src/server/tools-server.js';
import { resolveVirtualName } from '../../src/server/tools-virtual.js';
import { loadToolsetFile } from '../../src/tools/toolset.js';
import { TOOLBENCH_TOOL } from '../schema/tool-fixtures.js';
import { sealTools } from '../support/seal-tools.js';
import { promptOf, toolsFixture, type ToolsFixture, WIKI } from './tools-fixture.js';

/** A tool whose parameters are Python reserved words, as ToolBench's RapidAPI tools often have. */
const FLIGHTS: ToolTemplate = {
  api_name: 'search_flights',
  api_description: 'Finds flights.',
  field: 'Travel Hub',
  parameters: {
    from: { type: 'string', description: 'origin' },
    id: { type: 'string', description: 'booking id' },
    'Max Price': { type: 'number', description: 'cap' },
  },
  required: ['from'],
  responses: { flights: { type: 'array', description: 'flights', items: { type: 'string' } } },
};
/** A name longer than ToolBench's 64-character function names once `_for_<tool>` is added. */
const LONG: ToolTemplate = { ...FLIGHTS, api_name: 'get_the_complete_historical_fare_calendar_for_every_route', field: 'Fare Archive Service' };

const SEAL = sealTools();
let fx: ToolsFixture;
let many: ToolsFixture;
let reply: 'ok' | 'fail' = 'ok';

beforeAll(async () => {
  fx = await toolsFixture({
    tools: [WIKI, FLIGHTS, LONG],
    fake: { respond: (req, i) => (reply === 'fail' ? { status: 500 } : { content: JSON.stringify({ flights: [`f${i}`] }) }) },
  });
  many = await toolsFixture({ tools: SEAL.filter((t) => /^[A-Za-z0-9_.-]+$/.test(t.api_name)) });
});
afterAll(async () => {
  await fx.close();
  await many.close();
});
beforeEach(() => {
  reply = 'ok';
  fx.fake.requests.length = 0;
});

const post = (app: ReturnType<typeof createToolsApp>['app'], path: string, body: unknown, headers: Record<string, string> = {}) =>
  app.request(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

/** What StableToolBench's rapidapi.py `_step` posts to /virtual. */
const payload = (api_name: string, tool_name: string, tool_input: unknown) => ({
  category: 'Travel',
  tool_name,
  api_name,
  tool_input: JSON.stringify(tool_input),
  strip: 'truncate',
  toolbench_key: 'k',
});

describe('ToolBench names (StableToolBench server/utils.py, rapidapi.py)', () => {
  it('standardize, change_name and the 64-character function name as ToolBench spells them', () => {
    expect(standardize('Get User-Info (v2)')).toBe('get_user_info_v2');
    expect(standardize('__3D models__')).toBe('get_3d_models');
    expect(standardize('a^b')).toBe('a^b'); // ToolBench's character class keeps "^"
    expect(['from', 'class', 'return', 'false', 'true', 'id', 'and', 'From'].map((w) => changeName(standardize(w)))).toEqual([
      'is_from',
      'is_class',
      'is_return',
      'is_false',
      'is_true',
      'is_id',
      'is_and',
      'is_from',
    ]);
    expect(toolbenchFunctionName('id', 'usertool')).toBe('is_id_for_usertool');
    const cut = toolbenchFunctionName(LONG.api_name, 'fare_archive_service');
    expect(cut).toHaveLength(64);
    expect(`${LONG.api_name}_for_fare_archive_service`.endsWith(cut)).toBe(true);
  });

  it('undoes change_name/standardize renames of arguments, leaving declared and unknown keys alone', () => {
    expect(undoArgumentRenames({ is_from: 'PEK', is_id: '7', max_price: 300, extra: 1 }, Object.keys(FLIGHTS.parameters))).toEqual({
      from: 'PEK',
      id: '7',
      'Max Price': 300,
      extra: 1,
    });
    expect(undoArgumentRenames({ from: 'PEK' }, Object.keys(FLIGHTS.parameters))).toEqual({ from: 'PEK' });
    expect(undoArgumentRenames('text', ['a'])).toBe('text');
  });

  it('resolves cut function names, and a cut several tools share only through the tool (field) it names', () => {
    const names = [FLIGHTS.api_name, LONG.api_name, 'find_cheapest_fare_calendar_for_every_route'];
    expect(resolveVirtualName(names, 'fare_archive_service', toolbenchFunctionName(LONG.api_name, 'fare_archive_service'))).toBe(LONG.api_name);
    const shared = toolbenchFunctionName('a_fare_calendar_for_every_route', 'x_'.repeat(30)); // only the common tail survives the cut
    const twins = ['one_fare_calendar_for_every_route', 'two_fare_calendar_for_every_route'];
    expect(resolveVirtualName(twins, 'x_'.repeat(30), shared)).toBeUndefined();
    expect(resolveVirtualName(twins, 'x_'.repeat(30), shared, (n) => ({ field: n.startsWith('two') ? 'X '.repeat(30) : 'other' }))).toBe(
      'two_fare_calendar_for_every_route',
    );
    // the ToolBench reader writes `Category/Tool`: the tool after the category is what the request names
    const qualified = (n: string) => ({ field: n.startsWith('two') ? `Travel/${'X '.repeat(30)}` : `Data/${'Y '.repeat(30)}` });
    expect(resolveVirtualName(twins, 'x_'.repeat(30), shared, qualified)).toBe('two_fare_calendar_for_every_route');
    expect(resolveVirtualName(twins, 'Y '.repeat(30), shared, qualified)).toBe('one_fare_calendar_for_every_route');
  });

  it('closeNames picks at most 10 names, nearest first', () => {
    const names = SEAL.map((t) => t.api_name);
    const close = closeNames('getWeatherForVinyard', names);
    expect(close).toHaveLength(10);
    expect(close[0]).toBe('getWeatherForVineyard');
  });
});

describe('ToolBench tools read from their tool JSON keep their own names', () => {
  it('the served tool carries the API name and Category/Tool, and /virtual finds it by them before a look-alike name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mtr-stb-'));
    writeFileSync(join(dir, 'weather.json'), JSON.stringify(TOOLBENCH_TOOL, null, 2));
    const read = loadToolsetFile(join(dir, 'weather.json')).tools;
    expect(read.map((t) => [t.api_name, (t as FileTool).source_name, t.field])).toEqual([
      ['get_current_weather_for_weather_forecast_14', 'Get Current Weather', 'Weather/Weather Forecast 14'],
      ['get_5_day_forecast_for_weather_forecast_14', '5 day forecast', 'Weather/Weather Forecast 14'],
    ]);
    // another tool whose name standardizes to the same spelling as the bare API name
    const lookalike: ToolTemplate = { ...FLIGHTS, api_name: 'Get_Current_Weather', field: 'Weather/Other Weather' };
    const observation = { location: { name: 'Paris', lat: 48.9, lon: 2.4 }, temp: 21, alerts: [], note: null };
    const weather = await toolsFixture({ tools: [lookalike, ...read], fake: { respond: () => ({ content: JSON.stringify(observation) }) } });
    try {
      const res = await post(createToolsApp(weather.service).app, '/virtual', payload('Get Current Weather', 'Weather Forecast 14', { city: 'Paris' }));
      expect(((await res.json()) as { error: string }).error).toBe('');
      expect(promptOf(weather.fake.requests[0]!)).toContain('get_current_weather_for_weather_forecast_14');
      expect(promptOf(weather.fake.requests[0]!)).not.toContain('Get_Current_Weather');
    } finally {
      await weather.close();
    }
  });
});

describe('POST /virtual as StableToolBench clients send it', () => {
  it('answers a call whose arguments ToolBench renamed (is_from, is_id), under the cut function name', async () => {
    const app = createToolsApp(fx.service).app;
    const res = await post(
      app,
      '/virtual',
      payload(toolbenchFunctionName(LONG.api_name, 'fare_archive_service'), 'fare_archive_service', { is_from: 'PEK', is_id: 'B7' }),
    );
    expect(await res.json()).toEqual({ error: '', response: JSON.stringify({ flights: ['f0'] }) });
    expect(promptOf(fx.fake.requests[0]!)).toMatch(/"from":\s*"PEK"/);
    const plain = await post(app, '/virtual', payload('search_flights', 'travel_hub', { is_from: 'PEK' }));
    expect(((await plain.json()) as { error: string }).error).toBe('');
  });

  it('takes the key from the toolbench_key header when --token is set (the body field alone is not a credential)', async () => {
    const server = await startToolsServer(fx.service, { port: 0, token: 'k3y' });
    try {
      const send = (headers: Record<string, string>) =>
        fetch(`${server.url}/virtual`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ ...payload('search_flights', 'travel_hub', { is_from: 'PEK' }), toolbench_key: 'k3y' }),
        });
      expect((await send({ toolbench_key: 'k3y' })).status).toBe(200);
      expect((await send({})).status).toBe(401);
      expect((await send({ toolbench_key: 'wrong' })).status).toBe(401);
      expect((await fetch(`${server.url}/v1/tools`, { headers: { toolbench_key: 'k3y' } })).status).toBe(401); // only /virtual reads it
    } finally {
      await server.close();
    }
  });

  it('a simulator failure is a 200 with StableToolBench\'s "API not working error..." (status 6), not a transport error (12)', async () => {
    reply = 'fail';
    const res = await post(createToolsApp(fx.service).app, '/virtual', payload('search_flights', 'travel_hub', { is_from: 'PEK' }));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ error: 'API not working error...', response: expect.stringMatching(/^tool simulator failed: /) });
  });
});

describe('an unknown tool among 4,075 Seal-Tools tools names at most 10 close ones', () => {
  it('on /v1/tools/{name}, /v1/batch and /virtual, with no model call', async () => {
    const app = createToolsApp(many.service).app;
    const one = await post(app, '/v1/tools/getWeatherForVinyard', { city: 'Oslo' });
    expect(one.status).toBe(404);
    const batch = (await (await post(app, '/v1/batch', { calls: [{ name: 'getWeatherForVinyard', arguments: {} }] })).json()) as {
      results: { error: { message: string } }[];
    };
    const virtual = (await (await post(app, '/virtual', payload('getWeatherForVinyard', 'weather', {}))).json()) as { error: string };
    for (const message of [((await one.json()) as { error: { message: string } }).error.message, batch.results[0]!.error.message, virtual.error]) {
      const listed = /available tools: ([^(]*)/.exec(message)![1]!.split(', ');
      expect(listed.length).toBeLessThanOrEqual(10);
      expect(listed.some((n) => n.trim() === 'getWeatherForVineyard')).toBe(true);
      expect(message).toMatch(/of 4075; GET \/v1\/tools lists every tool/);
      expect(message.length).toBeLessThan(1000);
    }
    expect(many.fake.requests).toHaveLength(0);
  });
});

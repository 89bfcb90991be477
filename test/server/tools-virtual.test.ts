import { describe, expect, it } from 'vitest';
import { parseVirtualRequest, resolveVirtualName, standardize, toVirtualResponse } from '../../src/server/tools-virtual.js';

describe('StableToolBench /virtual helpers', () => {
  it('standardizes names as ToolBench does', () => {
    expect(standardize('Get User-Info (v2)')).toBe('get_user_info_v2');
    expect(standardize('3d models')).toBe('get_3d_models');
  });

  it('resolves exact, <api>_for_<tool> and standardized spellings to a served name', () => {
    const names = ['wiki_search', 'get_weather_for_open_weather', 'getPM2.5Level'];
    expect(resolveVirtualName(names, 'any', 'wiki_search')).toBe('wiki_search');
    expect(resolveVirtualName(names, 'Open Weather', 'Get Weather')).toBe('get_weather_for_open_weather');
    expect(resolveVirtualName(names, 'open_weather', 'get_weather_for_open_weather')).toBe('get_weather_for_open_weather');
    expect(resolveVirtualName(names, 'Air', 'getPM2.5Level')).toBe('getPM2.5Level');
    expect(resolveVirtualName(names, 'Air', 'nothing_like_it')).toBeUndefined();
  });

  it('parses tool_input as JSON text, an object, or empty; keeps unparseable text apart', () => {
    const base = { category: 'c', tool_name: 't', api_name: 'a', strip: '' };
    expect(parseVirtualRequest({ ...base, tool_input: '{"q": 1}' }).input).toEqual({ ok: true, value: { q: 1 } });
    expect(parseVirtualRequest({ ...base, tool_input: { q: 1 } }).input).toEqual({ ok: true, value: { q: 1 } });
    expect(parseVirtualRequest({ ...base, tool_input: '' }).input).toEqual({ ok: true, value: {} });
    expect(parseVirtualRequest({ ...base, tool_input: '{q: 1' }).input).toEqual({ ok: false, text: '{q: 1' });
    expect(() => parseVirtualRequest({ ...base, strip: 3 })).toThrow(/^strip: expected a string, got 3/);
    expect(() => parseVirtualRequest([])).toThrow(/^body: expected/);
  });

  it('puts error observations in `error` with their kind, and the content as JSON text in `response`', () => {
    expect(toVirtualResponse({ content: { temp: 21 }, source: 'simulated' })).toEqual({ error: '', response: '{"temp":21}' });
    const error = { type: 'missing_required' as const, parameter: 'city', message: 'missing required parameter "city"' };
    expect(toVirtualResponse({ content: { error }, error, source: 'precheck' })).toEqual({
      error: 'missing_required: missing required parameter "city"',
      response: JSON.stringify({ error }),
    });
  });
});

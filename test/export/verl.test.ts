import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configTools, verlFunction, verlToolConfig } from '../../src/export/verl.js';
import { ownTool } from './stores.js';

// verl/tools/schemas.py: OpenAIFunctionPropertySchema {type: str, description?: str, enum?: list[str]}, required: list[str]
const fn = (properties: Record<string, unknown>, required?: string[]) =>
  verlFunction({ type: 'function', function: { name: 't', description: 'd', parameters: { type: 'object', properties, ...(required ? { required } : {}) } } });
const props = (f: ReturnType<typeof fn>) => (f.function.parameters as { properties: Record<string, Record<string, unknown>> }).properties;

describe("verlFunction: the shape verl's pydantic tool schema accepts", () => {
  it('gives every parameter one string type and keeps only string enums', () => {
    const f = fn({
      a: { type: ['string', 'null'], description: 'x' },
      b: { type: ['null', 'integer'] },
      c: { enum: [1, 2, 3] },
      d: { enum: [0.5, 1] },
      e: { description: 'untyped' },
      g: { type: 'string', enum: ['x', 'y'] },
      h: { type: 'array', items: { type: 'string' } },
    });
    expect(props(f)).toEqual({
      a: { type: 'string', description: 'x' },
      b: { type: 'integer' },
      c: { type: 'integer' },
      d: { type: 'number' },
      e: { type: 'string', description: 'untyped' },
      g: { type: 'string', enum: ['x', 'y'] },
      h: { type: 'array', items: { type: 'string' } },
    });
    expect(f.function.parameters).toMatchObject({ type: 'object', required: [] });
  });
});

describe('verlToolConfig', () => {
  const nasty = 'Ünïcödé 😀 tab\there NEL\u0085 C1\u0090 LS\u2028 BOM\ufeff "q" \\ ${oc.env:HOME} $x';
  const text = verlToolConfig([fn({ q: { type: 'string', description: nasty } })], { url: 'http://127.0.0.1:8788', timeout: 60 });

  it("is YAML's JSON subset with OmegaConf interpolation escaped and PyYAML-unsafe characters written as escapes", () => {
    const [comment, ...rest] = text.split('\n');
    expect(comment).toMatch(/^# verl tool config/);
    const config = JSON.parse(rest.join('\n')) as { tools: { class_name: string; config: unknown; tool_schema: ReturnType<typeof fn> }[] };
    expect(config.tools[0]!.class_name).toBe('mtr_tool.MtrTool');
    expect(config.tools[0]!.config).toEqual({ type: 'native', url: 'http://127.0.0.1:8788', token: '${oc.env:MTR_SERVE_TOKEN,null}', timeout: 60 });
    // OmegaConf turns \${ back into ${ when it resolves the schema
    expect(props(config.tools[0]!.tool_schema).q!.description).toBe(nasty.replace('${', '\\${'));
    expect(text).not.toMatch(/[\u0085\u0090\u2028\ufeff]/);
    expect(text).toContain('\\u0085');
  });

  const pyyaml = (() => {
    try {
      execFileSync('/usr/bin/python3', ['-c', 'import yaml']);
      return true;
    } catch {
      return false;
    }
  })();
  it.skipIf(!pyyaml)("reads back through PyYAML (what OmegaConf loads verl's tool config with) as the same data", () => {
    const dir = mkdtempSync(join(tmpdir(), 'mtr-yaml-'));
    writeFileSync(join(dir, 'tool_config.yaml'), text);
    const out = execFileSync(
      '/usr/bin/python3',
      ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))', join(dir, 'tool_config.yaml')],
      { encoding: 'utf8' },
    );
    expect(JSON.parse(out)).toEqual(JSON.parse(text.split('\n').slice(1).join('\n')));
  });
});

describe('configTools', () => {
  const names = (tools: ReturnType<typeof configTools>) => tools.map((t) => t.tool.api_name);
  it('lists a shared tool set whole, and only the shared tools (else the first) when tools differ per item', () => {
    const [a, b, c] = [ownTool(0), ownTool(1), ownTool(2)];
    expect(
      names(
        configTools(
          [
            [a, b],
            [a, b],
          ],
          false,
        ),
      ),
    ).toEqual(['lookup_fact_0', 'lookup_fact_1']);
    expect(
      names(
        configTools(
          [
            [a, b],
            [a, c],
          ],
          true,
        ),
      ),
    ).toEqual(['lookup_fact_0']);
    expect(names(configTools([[b], [c]], true))).toEqual(['lookup_fact_1']);
  });
});

import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Io } from '../../src/cli/command.js';
import { main } from '../../src/cli/index.js';
import { Bm25Index } from '../../src/tools/bm25.js';
import { SHARED_DATASETS } from '../support/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'mtr-index-cli-'));

function capture(isTTY = false): Io & { stdout: string; stderr: string } {
  const io = { stdout: '', stderr: '', isTTY, env: {}, out: (t: string) => void (io.stdout += t), err: (t: string) => void (io.stderr += t) };
  return io;
}

describe('mtr index', () => {
  it('builds one index from several corpus layouts, reporting progress and a summary', async () => {
    const out = join(tmp, 'corpus.sqlite');
    const files = ['wiki18_sample_1000.jsonl', 'hotpot_train100_corpus.json'].map((f) => join(SHARED_DATASETS, 'corpus', f));
    const io = capture();
    expect(await main(['index', '--corpus', files.join(','), '--out', out, '--json'], io)).toBe(0);
    expect(JSON.parse(io.stdout)).toMatchObject({ out, passages: 1994, files: 2 });
    expect(io.stderr).toMatch(/indexed 1994 passages/);
    const index = new Bm25Index(out);
    expect(index.search('Demon Dice collectible dice game', 1)[0]).toMatchObject({ id: '1:0', title: 'Demon Dice' });
    index.close();
    const text = capture(true);
    expect(await main(['index', '--corpus', files[0]!, '--out', out], text)).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^${out.replace(/[/.]/g, '\\$&')}: 1000 passages from 1 file\\(s\\) in [\\d.]+s\\n$`));
    expect(text.stderr).toMatch(/^\rindexed \d+ passages \(\d+\/s\)(\rindexed \d+ passages \(\d+\/s\))*\n$/); // one redrawn line on a terminal
  });

  it('fails with the file and line of a bad record and leaves no index behind', async () => {
    const bad = join(tmp, 'bad.jsonl');
    writeFileSync(bad, '{"title":"A","text":"a"}\n{"title":"B"}\n');
    const out = join(tmp, 'bad.sqlite');
    const io = capture();
    expect(await main(['index', '--corpus', bad, '--out', out], io)).toBe(1);
    expect(io.stderr).toMatch(/bad\.jsonl:2: contents: expected a "contents" or "text" string/);
    expect(existsSync(out)).toBe(false);
    const missing = capture();
    expect(await main(['index', '--corpus', join(tmp, 'nope.jsonl'), '--out', out], missing)).toBe(2);
    expect(missing.stderr).toMatch(/^mtr index: --corpus: expected an existing file/);
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/paths.js';

/**
 * What the shipped code imports is a runtime dependency: a package that is only a devDependency (or only
 * installed as another package's dependency) is missing for anyone who installs mtr without its lockfile.
 */
const SHIPPED = ['src', 'graphs', 'bin'];

function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

function shippedImports(): { file: string; pkg: string }[] {
  const out: { file: string; pkg: string }[] = [];
  for (const dir of SHIPPED) {
    for (const e of readdirSync(join(REPO_ROOT, dir), { recursive: true, withFileTypes: true })) {
      if (!e.isFile() || !/\.(ts|js|mjs)$/.test(e.name)) continue;
      const abs = join(e.parentPath, e.name);
      for (const imp of ts.preProcessFile(readFileSync(abs, 'utf8'), true, true).importedFiles) {
        const s = imp.fileName;
        if (s.startsWith('.') || s.startsWith('node:') || builtinModules.includes(packageOf(s))) continue;
        out.push({ file: relative(REPO_ROOT, abs), pkg: packageOf(s) });
      }
    }
  }
  return out;
}

describe('dependencies', () => {
  it('every package src/, graphs/ and bin/ import is in package.json dependencies', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const imports = shippedImports();
    expect(imports.length).toBeGreaterThan(50);
    const undeclared = imports.filter((i) => !(i.pkg in pkg.dependencies)).map((i) => `${i.file}: ${i.pkg}`);
    expect(undeclared).toEqual([]);
  });
});

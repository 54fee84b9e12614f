/**
 * The documentation stays true to the code: the configuration reference names exactly the variables
 * the configuration schema reads, every relative link resolves, the README's commands are the CLI's,
 * and the version is the same in package.json and the CHANGELOG.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { COMMAND_NAMES } from '../../src/cli/main.js';
import { EnvSchema } from '../../src/config/schema.js';

const ROOT = process.cwd();
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** The lines of a Markdown file from the heading `title` to the next heading of the same or a higher level. */
function section(markdown: string, title: string): string[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => /^#+ /.test(l) && l.replace(/^#+ /, '') === title);
  if (start < 0) throw new Error(`no heading "${title}"`);
  const level = /^#+/.exec(lines[start]!)![0].length;
  const end = lines.findIndex((l, i) => i > start && /^#+ /.test(l) && /^#+/.exec(l)![0].length <= level);
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

/** Variable names in the first column of a section's table rows. */
function tableVariables(lines: string[]): string[] {
  return lines
    .filter((l) => l.startsWith('| `'))
    .flatMap((l) => [...(l.split(' | ')[0] ?? '').matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!));
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

function anchors(markdown: string): Set<string> {
  return new Set(
    markdown
      .split('\n')
      .filter((l) => /^#+ /.test(l))
      .map((l) => slug(l.replace(/^#+ /, ''))),
  );
}

const docs = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

describe('the configuration reference (docs/operating.md)', () => {
  const operating = read('docs/operating.md');
  const documented = tableVariables(section(operating, 'Configuration reference'));
  const schema = Object.keys(EnvSchema.shape);

  it('documents every variable the configuration schema reads', () => {
    expect(schema.filter((v) => !documented.includes(v))).toEqual([]);
  });

  it('documents no variable the configuration schema does not read', () => {
    expect(documented.filter((v) => !schema.includes(v))).toEqual([]);
    expect(new Set(documented).size).toBe(documented.length);
  });

  it('lists under "Other variables" only names the code reads outside the schema', () => {
    const others = tableVariables(section(operating, 'Other variables'));
    expect(others.length).toBeGreaterThan(0);
    const sources = (dir: string): string[] =>
      readdirSync(join(ROOT, dir)).flatMap((f) => {
        const path = join(dir, f);
        return statSync(join(ROOT, path)).isDirectory()
          ? sources(path)
          : f.endsWith('.ts')
            ? [read(path)]
            : [];
      });
    const code = sources('src').join('\n');
    expect(others.filter((v) => !new RegExp(`\\b${v}\\b`).test(code))).toEqual([]);
    expect(others.filter((v) => schema.includes(v))).toEqual([]);
  });
});

describe('links', () => {
  it.each(docs)('every relative link in %s resolves, anchors included', (doc) => {
    const text = read(doc);
    const broken: string[] = [];
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/i.test(target!)) continue;
      const [path, anchor] = target!.split('#') as [string, string | undefined];
      const file = path === '' ? doc : relative(ROOT, join(ROOT, dirname(doc), decodeURI(path)));
      if (!existsSync(join(ROOT, file))) {
        broken.push(`${target}: no ${file}`);
      } else if (anchor !== undefined && file.endsWith('.md') && !anchors(read(file)).has(anchor)) {
        broken.push(`${target}: no heading #${anchor} in ${file}`);
      }
    }
    expect(broken).toEqual([]);
  });
});

describe('the README', () => {
  const readme = read('README.md');

  it('stays a newcomer’s page: under 200 lines, the rest in docs/', () => {
    expect(readme.split('\n').length).toBeLessThan(200);
  });

  it('lists exactly the commands the CLI has', () => {
    const listed = section(readme, 'Commands')
      .map((l) => /^\| `login-alerts ([a-z-]+)/.exec(l)?.[1])
      .filter((c): c is string => c !== undefined);
    expect(listed).toEqual([...COMMAND_NAMES]);
  });
});

describe('the version', () => {
  it('is the same in package.json, package-lock.json and the newest version heading of CHANGELOG.md', () => {
    const pkg = JSON.parse(read('package.json')) as { version: string };
    const lock = JSON.parse(read('package-lock.json')) as { version: string };
    const newest = /^## (\d+\.\d+\.\d+)\b/m.exec(read('CHANGELOG.md'))?.[1];
    expect({ lock: lock.version, changelog: newest }).toEqual({ lock: pkg.version, changelog: pkg.version });
  });
});

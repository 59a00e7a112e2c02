// Python distributions built on the fly for pip tests: a pure-Python wheel (installed
// without running any code of the package) and an sdist whose setup.py runs at install
// time (the classic PyPI attack vector).
//
//   const whl = await buildWheel({ name: 'benign', version: '1.0', files: {
//     'benign/__init__.py': 'VALUE = 42\n' } }, outDir);
//   const sdist = await buildSdist({ name: 'evil', version: '1.0',
//     setupCode: 'import os; open("/tmp/pwned", "w").write(os.environ.get("AWS_KEY", ""))',
//     files: { 'evil/__init__.py': '' } }, outDir);
//
// Archives are written here with zlib and a few dozen lines of format code: no
// dependency, and every byte the test installs is visible in this file.

import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { deflateRawSync, gzipSync } from 'node:zlib';

export type PythonFile = string | Buffer;

export interface PythonDistribution {
  /** Project name as users type it (`my-pkg`); normalised where the formats need it. */
  readonly name: string;
  readonly version: string;
  /** Files by '/'-separated path relative to site-packages (wheel) or the project root (sdist). */
  readonly files: Readonly<Record<string, PythonFile>>;
  /** `Requires-Dist` lines, e.g. `['other-pkg>=1.0']`. */
  readonly requires?: readonly string[];
}

export interface SdistSpec extends PythonDistribution {
  /** Python statements run at the top of the generated setup.py: install-time code. */
  readonly setupCode?: string;
  /** A complete setup.py instead of the generated one. */
  readonly setupPy?: string;
  /**
   * The pyproject.toml. Default: setuptools as the PEP 517 backend, so pip builds in an
   * isolated environment and fetches setuptools (and wheel) from the index. `false`
   * leaves it out (pip then uses the interpreter's own setuptools, the legacy path).
   */
  readonly pyproject?: string | false;
}

/** PEP 503 normalised project name: `My_Pkg.x` → `my-pkg-x`. */
export function normalizeProjectName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** The distribution name as it appears in wheel and sdist file names (PEP 427/625). */
export function distributionFileName(name: string): string {
  return name.replace(/[-_.]+/g, '_').toLowerCase();
}

export function wheelFileName(spec: Pick<PythonDistribution, 'name' | 'version'>): string {
  return `${distributionFileName(spec.name)}-${spec.version}-py3-none-any.whl`;
}

export function sdistFileName(spec: Pick<PythonDistribution, 'name' | 'version'>): string {
  return `${distributionFileName(spec.name)}-${spec.version}.tar.gz`;
}

function metadata(spec: PythonDistribution): string {
  const lines = ['Metadata-Version: 2.1', `Name: ${spec.name}`, `Version: ${spec.version}`];
  lines.push(`Summary: test fixture ${spec.name}`);
  for (const requirement of spec.requires ?? []) lines.push(`Requires-Dist: ${requirement}`);
  return `${lines.join('\n')}\n`;
}

function checkRelativePath(relPath: string): void {
  const segments = relPath.split('/');
  if (relPath.startsWith('/') || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new Error(`python fixture path ${JSON.stringify(relPath)} must be relative, without '.' or '..'`);
  }
}

function recordHash(data: Buffer): string {
  return `sha256=${createHash('sha256').update(data).digest('base64url')}`;
}

/** The entries of a pure-Python wheel, including its .dist-info with a hashed RECORD. */
export function wheelEntries(spec: PythonDistribution): ArchiveEntry[] {
  const distInfo = `${distributionFileName(spec.name)}-${spec.version}.dist-info`;
  const entries: ArchiveEntry[] = Object.entries(spec.files).map(([path, data]) => {
    checkRelativePath(path);
    return { path, data: Buffer.from(data) };
  });
  entries.push(
    { path: `${distInfo}/METADATA`, data: Buffer.from(metadata(spec)) },
    {
      path: `${distInfo}/WHEEL`,
      data: Buffer.from(
        'Wheel-Version: 1.0\nGenerator: safe-package-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n',
      ),
    },
  );
  const recordPath = `${distInfo}/RECORD`;
  const record = entries.map((e) => `${csvField(e.path)},${recordHash(e.data)},${e.data.length}`);
  record.push(`${csvField(recordPath)},,`);
  entries.push({ path: recordPath, data: Buffer.from(`${record.join('\n')}\n`) });
  return entries;
}

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Writes `<name>-<version>-py3-none-any.whl` into outDir and returns its absolute path. */
export async function buildWheel(spec: PythonDistribution, outDir: string): Promise<string> {
  await mkdir(outDir, { recursive: true });
  const path = join(resolve(outDir), wheelFileName(spec));
  await writeFile(path, zipArchive(wheelEntries(spec)));
  return path;
}

function pythonString(value: string): string {
  return JSON.stringify(value); // a JSON string literal is a valid Python str literal
}

/** The setup.py of an sdist: setupCode, then setup() over the packages and modules in files. */
export function generatedSetupPy(spec: SdistSpec): string {
  const topLevelModules = Object.keys(spec.files)
    .filter((p) => !p.includes('/') && p.endsWith('.py') && p !== 'setup.py')
    .map((p) => pythonString(p.slice(0, -3)));
  return [
    '# Generated by safe-package tests.',
    spec.setupCode ?? '',
    'from setuptools import find_packages, setup',
    '',
    'setup(',
    `    name=${pythonString(spec.name)},`,
    `    version=${pythonString(spec.version)},`,
    '    packages=find_packages(),',
    `    py_modules=[${topLevelModules.join(', ')}],`,
    `    install_requires=[${(spec.requires ?? []).map(pythonString).join(', ')}],`,
    ')',
    '',
  ].join('\n');
}

export const DEFAULT_PYPROJECT =
  '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n';

export function sdistEntries(spec: SdistSpec): ArchiveEntry[] {
  const root = `${distributionFileName(spec.name)}-${spec.version}`;
  const files: Record<string, PythonFile> = {
    'PKG-INFO': metadata(spec),
    'setup.py': spec.setupPy ?? generatedSetupPy(spec),
    ...(spec.pyproject === false ? {} : { 'pyproject.toml': spec.pyproject ?? DEFAULT_PYPROJECT }),
    ...spec.files,
  };
  return Object.entries(files).map(([path, data]) => {
    checkRelativePath(path);
    return { path: `${root}/${path}`, data: Buffer.from(data) };
  });
}

/** Writes `<name>-<version>.tar.gz` into outDir and returns its absolute path. */
export async function buildSdist(spec: SdistSpec, outDir: string): Promise<string> {
  await mkdir(outDir, { recursive: true });
  const path = join(resolve(outDir), sdistFileName(spec));
  await writeFile(path, gzipSync(tarArchive(sdistEntries(spec))));
  return path;
}

// ---------------------------------------------------------------------------------------
// Archive writers. Regular files only, mode 0644, fixed timestamps (reproducible bytes).

export interface ArchiveEntry {
  readonly path: string;
  readonly data: Buffer;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

// MS-DOS date and time of 1980-01-01 00:00:00, the earliest a zip can hold.
const DOS_TIME = 0;
const DOS_DATE = (1 << 5) | 1;
const UTF8_NAMES = 0x0800;

/** A zip archive (deflated entries, Unix permissions) as the wheel format requires. */
export function zipArchive(entries: readonly ArchiveEntry[]): Buffer {
  const chunks: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.path, 'utf8');
    const compressed = deflateRawSync(entry.data);
    const crc = crc32(entry.data);

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
    local.writeUInt16LE(UTF8_NAMES, 6);
    local.writeUInt16LE(8, 8); // method: deflate
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(entry.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28); // extra field length

    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, zip 2.0 (so attributes are a mode)
    header.writeUInt16LE(20, 6);
    header.writeUInt16LE(UTF8_NAMES, 8);
    header.writeUInt16LE(8, 10);
    header.writeUInt16LE(DOS_TIME, 12);
    header.writeUInt16LE(DOS_DATE, 14);
    header.writeUInt32LE(crc, 16);
    header.writeUInt32LE(compressed.length, 20);
    header.writeUInt32LE(entry.data.length, 24);
    header.writeUInt16LE(name.length, 28);
    // extra length, comment length, disk number, internal attributes: all 0
    header.writeUInt32LE(((0o100644 << 16) >>> 0), 38); // external attributes: regular file 0644
    header.writeUInt32LE(offset, 42);
    central.push(header, name);

    chunks.push(local, name, compressed);
    offset += local.length + name.length + compressed.length;
  }
  const centralDirectory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8); // entries on this disk
  end.writeUInt16LE(entries.length, 10); // entries in total
  end.writeUInt32LE(centralDirectory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...chunks, centralDirectory, end]);
}

// 2020-01-01: a fixed time that every tool accepts (zip, which setuptools may build
// from these files, cannot store times before 1980).
const TAR_MTIME = 1_577_836_800;

function tarField(header: Buffer, value: string, offset: number, length: number): void {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > length) throw new Error(`tar field too long: ${value}`);
  bytes.copy(header, offset);
}

function tarOctal(header: Buffer, value: number, offset: number, length: number): void {
  tarField(header, `${value.toString(8).padStart(length - 1, '0')}\0`, offset, length);
}

/** An uncompressed POSIX ustar archive. */
export function tarArchive(entries: readonly ArchiveEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const header = Buffer.alloc(512);
    const name = Buffer.from(entry.path, 'utf8');
    if (name.length <= 100) {
      tarField(header, entry.path, 0, 100);
    } else {
      // ustar splits long names at a '/': prefix (155 bytes) + name (100 bytes).
      const cut = entry.path.lastIndexOf('/', 155);
      if (cut <= 0 || Buffer.byteLength(entry.path.slice(cut + 1)) > 100) {
        throw new Error(`path too long for a ustar archive: ${entry.path}`);
      }
      tarField(header, entry.path.slice(cut + 1), 0, 100);
      tarField(header, entry.path.slice(0, cut), 345, 155);
    }
    tarOctal(header, 0o644, 100, 8);
    tarOctal(header, 0, 108, 8); // uid
    tarOctal(header, 0, 116, 8); // gid
    tarOctal(header, entry.data.length, 124, 12);
    tarOctal(header, TAR_MTIME, 136, 12);
    header.fill(' ', 148, 156); // checksum is computed with its own field as spaces
    tarField(header, '0', 156, 1); // regular file
    tarField(header, 'ustar\0', 257, 6);
    tarField(header, '00', 263, 2);
    let sum = 0;
    for (const byte of header) sum += byte;
    tarField(header, `${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);

    blocks.push(header, entry.data);
    const padding = (512 - (entry.data.length % 512)) % 512;
    if (padding > 0) blocks.push(Buffer.alloc(padding));
  }
  blocks.push(Buffer.alloc(1024)); // two zero blocks end the archive
  return Buffer.concat(blocks);
}

// Jest transform: TypeScript to CommonJS through esbuild's transform API (already a dependency: the Lambda is
// bundled with it). It strips types and nothing else, file by file, several times faster than ts-jest; type
// errors are caught by `npm run typecheck` (tsc --noEmit). The suite uses no `jest.mock`, so the import hoisting
// ts-jest or babel would add is not needed. esbuild's CommonJS exports are getters that cannot be redefined, so
// `jest.spyOn(module, 'someExport')` fails ("Cannot redefine property"): pass the dependency in instead.

const crypto = require('node:crypto');
const fs = require('node:fs');
const esbuild = require('esbuild');

// Options that change the emitted code and that esbuild's transform API would otherwise not read from
// tsconfig.json (ES2022 target: class fields are defined, as tsc emits them).
const TRANSFORM_OPTIONS = {
  loader: 'ts',
  format: 'cjs',
  target: 'node20',
  platform: 'node',
  sourcemap: 'external',
  sourcesContent: false,
  tsconfigRaw: { compilerOptions: { useDefineForClassFields: true } },
};

const CACHE_SALT = crypto
  .createHash('sha256')
  .update(esbuild.version)
  .update(JSON.stringify(TRANSFORM_OPTIONS))
  .update(fs.readFileSync(__filename))
  .digest('hex');

module.exports = {
  canInstrument: false,
  getCacheKey(sourceText, sourcePath) {
    return crypto.createHash('sha256').update(CACHE_SALT).update('\0').update(sourcePath).update('\0').update(sourceText).digest('hex');
  },
  process(sourceText, sourcePath) {
    const loader = /\.tsx$/.test(sourcePath) ? 'tsx' : 'ts';
    const result = esbuild.transformSync(sourceText, { ...TRANSFORM_OPTIONS, loader, sourcefile: sourcePath });
    return { code: result.code, map: result.map };
  },
};

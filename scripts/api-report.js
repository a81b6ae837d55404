// The public API report: API Extractor over the ESM declarations (dist/src) of every
// entry point of scripts/package-exports.js, one etc/<entry>.api.md each.
//   node scripts/api-report.js           # check: fails when an export changed and the report did not
//   node scripts/api-report.js --update  # write the reports (npm run api)
// Needs a build. The CommonJS declarations are copies of these, so one report covers both.
import console from 'node:console';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';
import { entries } from './package-exports.js';

const root = join(import.meta.dirname, '..');
const update = process.argv.includes('--update');
// API Extractor only reads the declarations: compiler options for them alone.
const compilerOptions = {
  module: 'NodeNext',
  moduleResolution: 'NodeNext',
  target: 'ES2022',
  lib: ['ES2023'],
  types: ['node'],
  strict: true,
  skipLibCheck: true,
};

if (update) mkdirSync(join(root, 'etc'), { recursive: true });
const changed = [];
for (const [subpath, module] of Object.entries(entries)) {
  const name = subpath === '.' ? 'grpc-health-kit' : `grpc-health-kit-${subpath.slice(2)}`;
  const entry = join(root, 'dist', 'src', `${module}.d.ts`);
  const config = ExtractorConfig.prepare({
    configObject: {
      projectFolder: root,
      mainEntryPointFilePath: entry,
      compiler: { overrideTsconfig: { compilerOptions, files: [entry] } },
      apiReport: {
        enabled: true,
        reportFileName: `${name}.api.md`,
        reportFolder: join(root, 'etc'),
        reportTempFolder: join(root, 'dist', 'api'),
      },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      messages: {
        // The report records what is exported; these are about how it is documented.
        extractorMessageReporting: {
          default: { logLevel: 'warning' },
          'ae-missing-release-tag': { logLevel: 'none' },
          'ae-forgotten-export': { logLevel: 'none' },
          'ae-unresolved-link': { logLevel: 'none' },
          'ae-unresolved-inheritdoc-reference': { logLevel: 'none' },
          'ae-undocumented': { logLevel: 'none' },
        },
        tsdocMessageReporting: { default: { logLevel: 'none' } },
      },
    },
    configObjectFullPath: join(root, 'api-extractor.json'),
    packageJsonFullPath: join(root, 'package.json'),
  });
  const result = Extractor.invoke(config, {
    localBuild: update,
    messageCallback: (message) => {
      if (message.messageId === 'console-compiler-version-notice') message.handled = true;
    },
  });
  if (result.apiReportChanged) changed.push(`etc/${name}.api.md`);
  if (result.errorCount > 0) changed.push(`${subpath}: ${result.errorCount} errors`);
}
if (changed.length > 0 && !update) {
  console.error(`api-report: the public API changed: ${changed.join(', ')}. Review the change, then run \`npm run api\` and commit etc/.`);
  process.exit(1);
}
console.log(update ? `api-report: etc/ updated (${changed.length} changed)` : 'api-report: the public API matches etc/');

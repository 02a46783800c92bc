// The house's floors, checked by `npm test` (npm run boundaries). Each rule says why it exists.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Files that import each other in a loop cannot be understood, tested or moved one at a time.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment:
        'lib/domain holds the rules: pure functions that import nothing else of lib/ and no AWS SDK, so they are tested without a stack. ' +
        'Besides zod and libphonenumber-js, only countries-and-timezones: a synchronous table of country → IANA zone names, no I/O.',
      from: { path: '^lib/domain/' },
      to: { pathNot: ['^lib/domain/', '^node_modules/(zod|libphonenumber-js|countries-and-timezones)/'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'ports-are-contracts',
      severity: 'error',
      comment: 'Ports (lib/ports, lib/jobs/job-store.ts) describe what the code needs, in the domain’s words: no adapter, no AWS SDK.',
      from: { path: '^lib/(ports/|jobs/)' },
      to: {
        path: [
          '^lib/adapters/',
          '^lib/wiring/',
          '^lib/(send|status|sweep|release|webhook|campaigns|resend|counts)/',
          'node_modules/@aws-sdk/',
        ],
      },
    },
    {
      name: 'orchestration-uses-ports',
      severity: 'error',
      comment: 'The functions’ orchestration talks to AWS and Meta only through ports; adapters are chosen in lib/wiring.',
      from: { path: '^lib/(send|status|sweep|release|webhook|campaigns|resend|counts)/' },
      to: { path: ['^lib/adapters/', '^lib/wiring/', 'node_modules/@aws-sdk/'] },
    },
    {
      name: 'adapters-do-not-orchestrate',
      severity: 'error',
      comment: 'An adapter implements a port; it never calls back into a function’s orchestration or the wiring.',
      from: { path: '^lib/adapters/' },
      to: { path: ['^lib/(send|status|sweep|release|webhook|campaigns|resend|counts|wiring)/'] },
    },
    {
      name: 'lib-stands-alone',
      severity: 'error',
      comment: 'The deployed code never imports the handlers, the local glue, the tools, the tests or the workspace packages.',
      from: { path: '^lib/' },
      to: {
        path: [
          '^functions/',
          '^local/',
          '^tools/',
          '^test/',
          '^packages/',
          'node_modules/(mm-api-simulator|lambda-local-kit|mm-sender-bench)/',
        ],
      },
    },
    {
      name: 'handlers-call-lib',
      severity: 'error',
      comment: 'A handler is middy wiring plus one call into lib/: nothing from the local glue, the tools, the tests or the packages.',
      from: { path: '^functions/' },
      to: { path: ['^local/', '^tools/', '^test/', '^packages/', 'node_modules/(mm-api-simulator|lambda-local-kit|mm-sender-bench)/'] },
    },
    {
      name: 'packages-never-import-the-sender',
      severity: 'error',
      comment: 'The simulator, the local Lambda kit and the benchmark are products of their own: they never import the sender.',
      from: { path: '^packages/' },
      to: { path: ['^lib/', '^functions/', '^local/', '^tools/', '^test/', '^infra/'] },
    },
    {
      name: 'packages-import-packages-by-name',
      severity: 'error',
      comment:
        'A package uses another one through its public entry points (those its package.json `exports` names), never through its files.',
      from: { path: '^packages/([^/]+)/' },
      to: { path: '^packages/([^/]+)/', pathNot: ['^packages/$1/', '^packages/[^/]+/src/(index|vitest|vitest-setup)\\.ts$'] },
    },
    {
      name: 'sender-uses-packages-by-name',
      severity: 'error',
      comment: 'The sender’s local glue and tests use the packages through their public entry points only.',
      from: { path: '^(local|test|tools)/' },
      to: { path: '^packages/', pathNot: '^packages/[^/]+/src/(index|vitest|vitest-setup)\\.ts$' },
    },
    {
      name: 'simulator-and-kit-stand-alone',
      severity: 'error',
      comment: 'The simulator and the kit need nothing of each other or of the benchmark.',
      from: { path: '^packages/(mm-api-simulator|lambda-local-kit)/' },
      to: { path: '^packages/', pathNot: '^packages/$1/' },
    },
    {
      name: 'tools-and-glue-outside-the-bundles',
      severity: 'error',
      comment: 'Nothing deployed imports the tests.',
      from: { path: '^(lib|functions|local|tools)/' },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['\\.serverless', '\\.esbuild', 'dist/', 'coverage/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    combinedDependencies: false,
    preserveSymlinks: false,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'node', 'default'],
      extensions: ['.ts', '.js', '.cjs', '.json'],
    },
  },
};

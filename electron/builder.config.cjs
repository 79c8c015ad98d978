// electron-builder configuration, used by electron/package.mjs (`npm run dist`).
// Installers: Linux AppImage + deb, Windows NSIS, macOS dmg.
/** @type {import('electron-builder').Configuration} */
module.exports = {
  appId: 'org.strata.workbench',
  productName: 'Strata',
  copyright: 'Strata contributors, Apache-2.0',
  directories: { output: 'dist/installers', buildResources: 'resources/icons' },
  // package.json has no "main" (it is also the CLI's package): point Electron at the boot script.
  extraMetadata: { main: 'electron/boot.mjs' },
  files: [
    'package.json',
    'bin/**/*',
    // The compiled engine and shell (scripts/build-node.mjs): no TypeScript and no tsx at run time.
    'out/node/**/*',
    'electron/boot.mjs',
    'out/electron/**/*',
    'renderer/dist/**/*',
    '!**/*.test.ts',
    '!**/*.map',
    '!electron/builder.config.cjs',
    '!electron/package.mjs',
  ],
  asar: true,
  // Native addons cannot be loaded from inside an asar archive; worker threads and the RDKit WASM
  // are read by path, so they live unpacked too.
  asarUnpack: [
    '**/node_modules/better-sqlite3-multiple-ciphers/**',
    '**/node_modules/onnxruntime-node/**',
    '**/node_modules/@rdkit/rdkit/**',
    'out/node/workers/**',
    'out/node/core/screen/predict.worker.js',
    'out/node/core/train/train.worker.js',
  ],
  // Models and example/reference data stay plain files beside the app (process.resourcesPath).
  extraResources: [
    { from: 'models', to: 'models', filter: ['**/*', '!**/fixtures/**'] },
    { from: 'resources', to: 'resources', filter: ['**/*', '!icons/**'] },
  ],
  // package.mjs rebuilds native modules against Electron's headers itself (see there: the
  // machine-wide `nodedir` npm setting would silently target Node's ABI instead).
  npmRebuild: false,
  nodeGypRebuild: false,
  publish: null,
  linux: {
    target: ['AppImage', 'deb'],
    category: 'Science',
    maintainer: 'Strata contributors',
    synopsis: 'Genotype-aware drug discovery workbench',
  },
  deb: { depends: ['libnss3', 'libgtk-3-0', 'libxss1', 'libasound2'] },
  win: { target: ['nsis'] },
  nsis: { oneClick: false, perMachine: false, allowToChangeInstallationDirectory: true },
  mac: { target: ['dmg'], category: 'public.app-category.medical', hardenedRuntime: true },
};

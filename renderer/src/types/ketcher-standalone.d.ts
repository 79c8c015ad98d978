// ketcher-standalone's `exports` give types only for its root entry; the binaryWasm build (the .wasm as a
// file, not base64) has the same API.
declare module 'ketcher-standalone/dist/binaryWasm' {
  export { StandaloneStructServiceProvider, StandaloneStructService } from 'ketcher-standalone';
}

/** A refusal or failure of `jail create`/`jail check` whose message says what to do. */
export class JailError extends Error {
  override name = 'JailError';
}

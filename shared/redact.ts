/**
 * Credentials embedded in a URL (`s3://user:secret@bucket/...`,
 * `https://token@host/...`) are never printed or served: the user-info part
 * is replaced, the rest of the location is kept as given.
 */
const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i;

export function redactUrlCredentials(location: string): string {
  return location.replace(USERINFO, "$1***@");
}

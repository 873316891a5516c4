/**
 * An API path from a template, each interpolated value URL-encoded as one segment (a name holding `/`
 * or `?` stays one segment): ``apiPath`/api/v1/namespaces/${ns}/pods/${name}` ``. Kept apart from
 * `api.ts` so that building a path loads no HTTP client.
 */
export function apiPath(strings: TemplateStringsArray, ...segments: string[]): string {
  return strings.reduce((out, s, i) => out + s + (i < segments.length ? encodeURIComponent(segments[i]!) : ''), '');
}

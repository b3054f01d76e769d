// Dubbo's URL, as its registries store it: `dubbo://10.0.0.1:20880/com.foo.DemoService?k=v&...`.
//
// Parsing follows Dubbo's own `URL.valueOf` (not WHATWG URL): parameter values are NOT percent-decoded,
// a bare key `k` means `k=k`, the first `=` splits key from value, the path has no leading slash, and
// IPv6 hosts come in brackets. ZooKeeper child names hold the whole URL encoded once with Java's
// `URLEncoder` (space as `+`, only `A-Za-z0-9-_.*` left bare), which `encodeNodeName` reproduces
// byte for byte so nodes we write are indistinguishable from the ones Dubbo writes.

/** A parsed Dubbo URL. Parameter order is not significant (Dubbo sorts them when writing). */
export interface DubboUrl {
  readonly protocol: string;
  readonly username?: string;
  readonly password?: string;
  /** Without IPv6 brackets. */
  readonly host: string;
  /** 0 when the URL has no port. */
  readonly port: number;
  /** The service path without its leading `/` (Dubbo writes the interface name here). */
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
}

export type ParseResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: string };

/** Parses an already-decoded Dubbo URL string. Returns errors rather than throwing (bad nodes are skipped). */
export function parseDubboUrl(text: string): ParseResult<DubboUrl> {
  const sep = text.indexOf('://');
  if (sep <= 0) return { ok: false, error: `no "protocol://" in "${text}"` };
  const protocol = text.slice(0, sep);
  let rest = text.slice(sep + 3);

  const params: Record<string, string> = {};
  const q = rest.indexOf('?');
  if (q >= 0) {
    for (const part of rest.slice(q + 1).split('&')) {
      if (part === '') continue;
      const eq = part.indexOf('=');
      // Dubbo: `k` alone is `k=k`; an empty key is dropped.
      const key = eq >= 0 ? part.slice(0, eq) : part;
      const value = eq >= 0 ? part.slice(eq + 1) : part;
      if (key !== '') params[key] = value;
    }
    rest = rest.slice(0, q);
  }

  let path = '';
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    path = rest.slice(slash + 1);
    rest = rest.slice(0, slash);
  }

  let username: string | undefined;
  let password: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const user = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = user.indexOf(':');
    username = colon >= 0 ? user.slice(0, colon) : user;
    password = colon >= 0 ? user.slice(colon + 1) : undefined;
  }

  let host = rest;
  let portText = '';
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) return { ok: false, error: `unclosed IPv6 bracket in "${text}"` };
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after.startsWith(':')) portText = after.slice(1);
    else if (after !== '') return { ok: false, error: `junk after IPv6 host in "${text}"` };
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon >= 0) {
      host = rest.slice(0, colon);
      portText = rest.slice(colon + 1);
    }
  }
  let port = 0;
  if (portText !== '') {
    port = Number(portText);
    if (!/^\d+$/.test(portText) || port > 65535)
      return { ok: false, error: `bad port "${portText}" in "${text}"` };
  }
  if (host === '') return { ok: false, error: `no host in "${text}"` };

  const url: DubboUrl = {
    protocol,
    host,
    port,
    path,
    params,
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
  };
  return { ok: true, value: url };
}

/** Formats as Dubbo's `URL.toFullString()` does: parameters sorted by key, values written raw. */
export function formatDubboUrl(url: DubboUrl): string {
  const host = url.host.includes(':') ? `[${url.host}]` : url.host;
  const auth =
    url.username !== undefined
      ? `${url.username}${url.password !== undefined ? `:${url.password}` : ''}@`
      : '';
  const port = url.port > 0 ? `:${url.port}` : '';
  const keys = Object.keys(url.params).sort();
  const query = keys.map((k) => `${k}=${url.params[k]}`).join('&');
  return `${url.protocol}://${auth}${host}${port}/${url.path}${query ? `?${query}` : ''}`;
}

/** True when a key or value can be written into a Dubbo URL without changing how Dubbo splits it. */
export function isUrlSafeParam(key: string, value: string): boolean {
  return key !== '' && !/[&=?#\s]/.test(key) && !/[&?#\s]/.test(value);
}

/** Java `URLEncoder.encode(s, UTF-8)`: the encoding Dubbo applies to a URL to make it a ZooKeeper child name. */
export function encodeNodeName(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/** Java `URLDecoder.decode(s, UTF-8)`; undefined for malformed percent escapes. */
export function decodeNodeName(name: string): string | undefined {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

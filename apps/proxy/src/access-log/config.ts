// access_log entries (FileAccessLog / StdoutAccessLog) -> AccessLogModel. The format is Envoy's: a
// text template with %COMMAND% operators, or json_format mapping keys to such templates.
import type { envoy } from '@strait/xds';
import { anyTypeName, unpackAny } from '../config/any.js';
import type { IssueList } from '../errors.js';

export const FILE_ACCESS_LOG = 'envoy.extensions.access_loggers.file.v3.FileAccessLog';
export const STDOUT_ACCESS_LOG = 'envoy.extensions.access_loggers.stream.v3.StdoutAccessLog';
export const STDERR_ACCESS_LOG = 'envoy.extensions.access_loggers.stream.v3.StderrAccessLog';

/** Envoy's default access log format. */
export const DEFAULT_TEXT_FORMAT =
  '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% ' +
  '%BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" ' +
  '"%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"\n';

export interface AccessLogModel {
  path: string;
  format: { kind: 'text'; template: string } | { kind: 'json'; fields: Record<string, string> };
}

interface SubstitutionFormatLike {
  textFormat?: string | null;
  textFormatSource?: { inlineString?: string | null } | null;
  jsonFormat?: { fields?: Record<string, { stringValue?: string | null }> | null } | null;
}

interface LoggerLike {
  path?: string | null;
  logFormat?: SubstitutionFormatLike | null;
  format?: string | null;
  jsonFormat?: SubstitutionFormatLike['jsonFormat'];
}

type AccessLog = envoy.config.accesslog.v3.AccessLog.$Properties;

export function translateAccessLogs(
  logs: readonly AccessLog[] | null | undefined,
  issues: IssueList,
  path: string,
): AccessLogModel[] {
  const out: AccessLogModel[] = [];
  (logs ?? []).forEach((l, i) => {
    const p = `${path}[${i}].typed_config`;
    if (l.filter)
      issues.add('PROXY_ERR_UNSUPPORTED', `${path}[${i}].filter`, 'access log filters are not supported');
    const type = anyTypeName(l.typedConfig);
    const cfg = unpackAny<LoggerLike>(
      l.typedConfig,
      [FILE_ACCESS_LOG, STDOUT_ACCESS_LOG, STDERR_ACCESS_LOG],
      issues,
      p,
    );
    if (!cfg) return;
    const target =
      type === STDOUT_ACCESS_LOG
        ? '/dev/stdout'
        : type === STDERR_ACCESS_LOG
          ? '/dev/stderr'
          : (cfg.path ?? '');
    if (!target) issues.add('PROXY_ERR_MISSING_FIELD', `${p}.path`, 'a path is required');
    const lf = cfg.logFormat;
    let format: AccessLogModel['format'] = { kind: 'text', template: DEFAULT_TEXT_FORMAT };
    const json = lf?.jsonFormat ?? cfg.jsonFormat;
    if (json?.fields) {
      const fields: Record<string, string> = {};
      for (const [k, v] of Object.entries(json.fields)) fields[k] = v.stringValue ?? '';
      format = { kind: 'json', fields };
    } else {
      const t = lf?.textFormatSource?.inlineString ?? lf?.textFormat ?? cfg.format;
      if (t) format = { kind: 'text', template: t };
    }
    out.push({ path: target, format });
  });
  return out;
}

// Typed errors of the xDS stream state, on the package's StraitError base. The stream's codes live in
// their own table (XDS_ERR_STREAM_*) beside the codec's; callers branch on `code`, and the gRPC wrapper
// maps the stream-ending ones to a status (STREAM_ERROR_GRPC_STATUS).
import { StraitError } from '../errors.js';

export const XdsStreamErrorCode = {
  /** A request named more resources for one type than the configured limit. */
  TooManyResourceNames: 'XDS_ERR_STREAM_TOO_MANY_RESOURCE_NAMES',
  /** A connection used more distinct type URLs than the configured limit. */
  TooManyTypes: 'XDS_ERR_STREAM_TOO_MANY_TYPES',
  /** A request or response carried no type_url where one is required (ADS). */
  MissingTypeUrl: 'XDS_ERR_STREAM_MISSING_TYPE_URL',
  /** A message was handed to the state of another type URL. */
  TypeUrlMismatch: 'XDS_ERR_STREAM_TYPE_URL_MISMATCH',
  /** A resource name is empty or longer than the configured limit. */
  InvalidResourceName: 'XDS_ERR_STREAM_INVALID_RESOURCE_NAME',
  /** The same resource name appears twice in one response (the client NACKs it). */
  DuplicateResource: 'XDS_ERR_STREAM_DUPLICATE_RESOURCE',
  /** A resource's Any type_url differs from the response's type_url (the client NACKs it). */
  ResourceTypeMismatch: 'XDS_ERR_STREAM_RESOURCE_TYPE_MISMATCH',
  /** The client could not tell a SotW resource's name (the client NACKs it). */
  ResourceNameUnknown: 'XDS_ERR_STREAM_RESOURCE_NAME_UNKNOWN',
} as const;

export type XdsStreamErrorCode = (typeof XdsStreamErrorCode)[keyof typeof XdsStreamErrorCode];

const defaultMessages: Record<XdsStreamErrorCode, string> = {
  XDS_ERR_STREAM_TOO_MANY_RESOURCE_NAMES: 'too many resource names for one type',
  XDS_ERR_STREAM_TOO_MANY_TYPES: 'too many type URLs on one connection',
  XDS_ERR_STREAM_MISSING_TYPE_URL: 'type_url is required',
  XDS_ERR_STREAM_TYPE_URL_MISMATCH: 'type_url does not match this stream state',
  XDS_ERR_STREAM_INVALID_RESOURCE_NAME: 'invalid resource name',
  XDS_ERR_STREAM_DUPLICATE_RESOURCE: 'resource name appears more than once in one response',
  XDS_ERR_STREAM_RESOURCE_TYPE_MISMATCH: 'resource type_url differs from the response type_url',
  XDS_ERR_STREAM_RESOURCE_NAME_UNKNOWN: 'resource name could not be determined',
};

/**
 * gRPC status codes a transport should end the stream with, per error code. Only codes that end a
 * stream are listed; per-resource codes travel inside a NACK's error_detail instead.
 */
export const STREAM_ERROR_GRPC_STATUS: Partial<Record<XdsStreamErrorCode, number>> = {
  XDS_ERR_STREAM_TOO_MANY_RESOURCE_NAMES: 8, // RESOURCE_EXHAUSTED
  XDS_ERR_STREAM_TOO_MANY_TYPES: 8, // RESOURCE_EXHAUSTED
  XDS_ERR_STREAM_MISSING_TYPE_URL: 3, // INVALID_ARGUMENT
  XDS_ERR_STREAM_TYPE_URL_MISMATCH: 3, // INVALID_ARGUMENT
  XDS_ERR_STREAM_INVALID_RESOURCE_NAME: 3, // INVALID_ARGUMENT
};

export class XdsStreamError extends StraitError {
  declare readonly code: XdsStreamErrorCode;
  /** The offending value and the limit, when there is one, so logs say what to change. */
  readonly detail: Readonly<Record<string, string | number>>;

  constructor(code: XdsStreamErrorCode, message?: string, detail: Record<string, string | number> = {}) {
    super(code, message ?? defaultMessages[code], detail);
    this.detail = detail;
  }
}

export function isXdsStreamError(value: unknown): value is XdsStreamError {
  return value instanceof XdsStreamError;
}

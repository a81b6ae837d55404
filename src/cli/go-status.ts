/** gRPC statuses in grpc-go's words, as grpc-health-probe prints them. No imports: `check` loads it. */

/** grpc-go's names of the status codes, which the probe prints (`code = NotFound`). */
const GO_CODE_NAMES = [
  'OK',
  'Canceled',
  'Unknown',
  'InvalidArgument',
  'DeadlineExceeded',
  'NotFound',
  'AlreadyExists',
  'PermissionDenied',
  'ResourceExhausted',
  'FailedPrecondition',
  'Aborted',
  'OutOfRange',
  'Unimplemented',
  'Internal',
  'Unavailable',
  'DataLoss',
  'Unauthenticated',
];

/** A status as grpc-go's error prints it: `rpc error: code = NotFound desc = unknown service`. */
export function goStatusText(code: number, details: string): string {
  return `rpc error: code = ${GO_CODE_NAMES[code] ?? `Code(${code})`} desc = ${details}`;
}

/**
 * The slice of a pino logger the kernel layer uses; a pino `Logger` (or a
 * child of one) fits as it is, and tests can pass nothing.
 */
export interface KernelLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

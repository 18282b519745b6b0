import { ImageInvalidateError } from '../core/errors.js'

/**
 * Why `init` or `doctor` stopped, in one sentence naming the problem and the fix. `usage` errors (a flag,
 * a missing token or project, a shell that cannot answer questions) exit 2; the others 1.
 */
export class SetupError extends ImageInvalidateError {
  override name = 'SetupError'
  constructor(
    code: `IMAGE_INVALIDATE_SETUP_${string}`,
    message: string,
    readonly usage = false,
    options?: ErrorOptions,
  ) {
    super(code, message, options)
  }
}

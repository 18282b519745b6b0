import { ImageInvalidateError } from '../core/errors.js'

/**
 * Thrown instead of a warning when the `strict` option is set: the one error the plugin raises in a user's
 * build. In a module of its own, so that importing it loads nothing of the planning.
 */
export class StrictModeError extends ImageInvalidateError {
  override name = 'StrictModeError'
  constructor(message: string, options?: ErrorOptions) {
    super('IMAGE_INVALIDATE_STRICT_MODE', message, options)
  }
}

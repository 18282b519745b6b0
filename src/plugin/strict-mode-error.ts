/**
 * Thrown instead of a warning when the `strict` option is set: the one error the plugin raises in a user's
 * build. In a module of its own, so that importing it loads nothing of the planning.
 */
export class StrictModeError extends Error {
  override name = 'StrictModeError'
}

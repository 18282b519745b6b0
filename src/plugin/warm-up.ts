import { resolveBuildOptions, type BuildContext } from './options.js'
import type { Options } from '../types.js'

/**
 * A production build that will plan at its end has started: load the planning code and start the hashing
 * threads now, so that neither is on the build's last stretch (about 40 ms on two cores). Never fails: the
 * plan loads them itself if this could not.
 */
export function warmUpPlanning(options: Options, context: BuildContext): void {
  try {
    if (!resolveBuildOptions(options, context).active) return
  } catch {
    return // the plan at the end says what is wrong with the options
  }
  import('./plan-build.js').then(
    ({ startHashingThreads }) => startHashingThreads(),
    () => {},
  )
}

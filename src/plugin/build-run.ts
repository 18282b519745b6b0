import type { Logger } from '../shared/format.js'
import type { Options } from '../types.js'
import { resolveBuildOptions, type BuildContext } from './options.js'
import type { BuildPlanResult } from './plan-build.js'
import { warmUpPlanning } from './warm-up.js'

export type BuildRun = ReturnType<typeof createBuildRun>

/**
 * The plan of one build, computed once however many outputs or compilers ask for it; each asker gets the
 * same manifest written into its own output directory.
 */
export function createBuildRun(options: Options) {
  let current: Promise<BuildPlanResult | undefined> | undefined
  return {
    /** A new build starts: forget the last one's plan. */
    reset() {
      current = undefined
    },
    /** A production build that will plan at its end has started. */
    prepare(context: BuildContext) {
      warmUpPlanning(options, context)
    },
    async finish(context: BuildContext, outputDir: string | undefined, logger: Logger): Promise<void> {
      const outputDirs = outputDir ? [outputDir] : []
      // The planning code is loaded by the first build that ends, not by every config that lists the plugin.
      if (!current) {
        // Remote images: the pages of the output folder the framework or bundler names (Astro's build dir,
        // Vite's outDir, Nitro's public output), with the Build Output's image config.
        const remote = context.remote ?? (outputDir ? { dirs: [outputDir] } : undefined)
        const resolved = resolveBuildOptions(options, { ...context, remote })
        current = import('./plan-build.js').then(({ planBuild }) => planBuild(resolved, outputDirs, logger))
        await current
        return
      }
      const result = await current
      if (result) await (await import('./plan-build.js')).writeManifestTo(result, outputDirs)
    },
  }
}

import { LOG_PREFIX, type Logger } from '../shared/format.js'
import type { Options } from '../types.js'
import { resolveBuildOptions, type BuildContext } from './options.js'
import type { BuildPlanResult } from './plan-build.js'
import { warmUpPlanning } from './warm-up.js'

export type BuildRun = ReturnType<typeof createBuildRun>

/**
 * The plan of one build, computed once however many outputs or compilers ask for it; each asker gets the
 * same manifest written into its own output directory. Like `planBuild`, it never fails the build unless
 * `strict` is set: loading the planning code and each later output's write are guarded too.
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
      const goOn = (skipped: string) => (error: unknown) => {
        if (options.strict) throw error
        logger.warn(`${LOG_PREFIX} ${skipped}, the build goes on: ${(error as Error).message}`)
        return undefined
      }
      if (!current) {
        current = plan(options, context, outputDirs, logger).catch(goOn('skipped'))
        await current
        return
      }
      const result = await current
      if (!result) return
      await import('./plan-build.js')
        .then(({ writeManifestTo }) => writeManifestTo(result, outputDirs))
        .catch(goOn(`the manifest was not written into ${outputDir}`))
    },
  }
}

/** The first output's plan. The planning code is loaded by the first build that ends, not by every config that lists the plugin. */
async function plan(options: Options, context: BuildContext, outputDirs: string[], logger: Logger): Promise<BuildPlanResult | undefined> {
  // Remote images: the pages of the output folder the framework or bundler names (Astro's build dir, Vite's
  // outDir, Nitro's public output), with the Build Output's image config, unless the context says otherwise.
  const remote = context.remote ?? (outputDirs[0] ? { dirs: [outputDirs[0]] } : undefined)
  const resolved = resolveBuildOptions(options, { ...context, remote })
  const { planBuild } = await import('./plan-build.js')
  return planBuild(resolved, outputDirs, logger)
}

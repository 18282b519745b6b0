// Running work at the end of a `next build`, after the pages are prerendered. Next.js gives a plugin no
// hook there: `compiler.runAfterProductionCompile` runs before static generation, and the one after it
// (`onBuildComplete`) belongs to a deployment adapter (`adapterPath`), whose presence changes how Next.js
// writes and serves its output. What every `next build` does at its end is `process.exit(0)` (bin/next,
// "ensure process exits after build completes"); so the exit of a successful build waits for the work, and
// a build that ends without calling it (a programmatic build) runs it on `beforeExit`.

/**
 * Runs `work` once, when the process is about to end after a successful build: on the first
 * `process.exit` with code 0, which then waits for it, or on `beforeExit`. A non-zero exit (a failed build,
 * a signal) is not delayed and skips the work. `work` must not reject and must bound its own time; to
 * fail the build, it sets `process.exitCode`.
 */
export function atBuildEnd(work: () => Promise<void>): void {
  const exit = process.exit
  let started = false
  const start = (): Promise<void> | undefined => {
    if (started) return undefined
    started = true
    process.exit = exit
    process.off('beforeExit', onBeforeExit)
    return work()
  }
  const onBeforeExit = () => void start()
  process.once('beforeExit', onBeforeExit)
  process.exit = ((code?: number | string | null) => {
    const status = code ?? process.exitCode ?? 0
    const running = Number(status) === 0 ? start() : undefined
    if (!running) return exit(code)
    // The work may have failed the build (strict mode sets process.exitCode).
    void running.finally(() => exit(Number(process.exitCode) || code))
    return undefined as never
  }) as typeof process.exit
}

import { readFileSync } from 'node:fs'
import path from 'node:path'
import { BaseSequencer, type TestSpecification } from 'vitest/node'

/**
 * Vitest runs the files whose durations it has not recorded yet first, the largest first: on a fresh clone
 * (CI's every run) the longest builds then start halfway and one core idles while they end. Among those
 * files, the ones with a test tagged `long-build` go first; what vitest has timed keeps its order.
 */
export class LongBuildsFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files)
    const first = sorted.filter((spec) => !this.timed(spec) && hasLongBuild(spec.moduleId))
    return [...first, ...sorted.filter((spec) => !first.includes(spec))]
  }

  private timed(spec: TestSpecification): boolean {
    return this.ctx.cache.getFileTestResults(`${spec.project.name}:${path.relative(this.ctx.config.root, spec.moduleId)}`) !== undefined
  }
}

function hasLongBuild(file: string): boolean {
  return readFileSync(file, 'utf8').includes("'long-build'")
}

import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm, rmdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { killGroup, PIDS_FILE_NAME } from '../helpers/processes.js'

const repoRoot = path.resolve(import.meta.dirname, '../..')

/**
 * One temporary folder for the whole run: test workers and every process they start inherit it as
 * TMPDIR, so whatever a test leaves behind, even one that timed out, is removed here at the end, and the
 * system temp folder is the same after `npm test` as before. Fixtures that must live in the repository
 * (Next.js refuses files linked from outside its root) go to `.test-tmp/<the same name>`.
 */
export async function setup(): Promise<() => Promise<void>> {
  // Which Node this run is on: `npm test` may run the suite on several (scripts/test.mjs).
  console.log(`[tests] Node ${process.version} (${process.execPath}), ${process.platform}-${process.arch}`)
  const runDir = await mkdtemp(path.join(tmpdir(), 'image-invalidate-tests-'))
  process.env.TMPDIR = runDir
  return async () => {
    const pids = path.join(runDir, PIDS_FILE_NAME)
    if (existsSync(pids)) for (const pid of readFileSync(pids, 'utf8').split('\n').filter(Boolean)) killGroup(Number(pid))
    await rm(runDir, { recursive: true, force: true })
    const repoTmp = path.join(repoRoot, '.test-tmp')
    await rm(path.join(repoTmp, path.basename(runDir)), { recursive: true, force: true })
    await rmdir(repoTmp).catch(() => {})
  }
}

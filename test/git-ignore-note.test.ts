// @module-tag floor
import { execFileSync } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { planBuild } from '../src/plugin/plan-build.js'
import { resolveBuildOptions } from '../src/plugin/options.js'
import { tempDir } from './helpers/tmp.js'

afterEach(() => {
  vi.unstubAllEnvs()
})

/** The build's one summary line, for a Next.js-like project that writes its manifest into public/. */
async function summaryLine(root: string): Promise<string> {
  const lines: string[] = []
  const logger = { info: (line: string) => lines.push(line), warn: (line: string) => lines.push(`warn ${line}`) }
  const options = resolveBuildOptions({ baseline: false, enabled: true, cache: false }, { root, env: {} })
  await planBuild(options, [path.join(root, 'public')], logger)
  expect(lines.filter((line) => line.startsWith('warn '))).toEqual([])
  expect(lines).toHaveLength(1)
  return lines[0]!
}

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, stdio: 'ignore' })
const NOTE = 'manifest public/_image-invalidate.json, which git does not ignore: add _image-invalidate.json to .gitignore'

describe('the build summary and .gitignore', () => {
  it('says to ignore the manifest when it was written into a git work tree that does not ignore it, and not once it does', async () => {
    const root = await tempDir({ 'public/a.png': 'a' })
    git(root, 'init', '--quiet')
    expect(await summaryLine(root)).toMatch(new RegExp(`; ${NOTE.replace(/[.]/g, '\\.')}$`))

    await writeFile(path.join(root, '.gitignore'), '_image-invalidate.json\n')
    expect(await summaryLine(root)).toMatch(/; manifest public\/_image-invalidate\.json$/)
  })

  it('says nothing of git outside a repository, or when git is not installed', async () => {
    const outside = await tempDir({ 'public/a.png': 'a' })
    expect(await summaryLine(outside)).toMatch(/; manifest public\/_image-invalidate\.json$/)

    // A repository that does not ignore the manifest (the first test's case), but no git on the PATH: nothing
    // to ask, nothing said, and the build goes on.
    const root = await tempDir({ 'public/a.png': 'a' })
    git(root, 'init', '--quiet')
    vi.stubEnv('PATH', path.join(root, 'no-bin'))
    expect(await summaryLine(root)).toMatch(/; manifest public\/_image-invalidate\.json$/)
  })
})

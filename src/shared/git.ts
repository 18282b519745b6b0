import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'

/** A slow or stuck git must not hold up a build: past this, the answer is "cannot tell". */
const GIT_TIMEOUT_MS = 2000

/**
 * Whether git would list `file` as untracked (or it is tracked): it lies in a git work tree and no ignore
 * rule covers it. Git is asked only when a `.git` is found above the file (a folder, or a worktree's file),
 * once, within GIT_TIMEOUT_MS; false whenever it cannot tell (no git installed, no repository, a timeout).
 * Never throws.
 */
export async function gitDoesNotIgnore(file: string): Promise<boolean> {
  const dir = path.dirname(file)
  if (!insideGitWorkTree(dir)) return false
  return new Promise((resolve) => {
    execFile('git', ['check-ignore', '--quiet', '--', path.basename(file)], { cwd: dir, timeout: GIT_TIMEOUT_MS, windowsHide: true }, (error) => {
      // Exit 0: ignored; 1: not ignored; 128 (not a repository, a bad path), ENOENT (no git) or a timeout: cannot tell.
      resolve((error as { code?: unknown } | null)?.code === 1)
    })
  })
}

function insideGitWorkTree(dir: string): boolean {
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    if (existsSync(path.join(at, '.git'))) return true
    if (at === path.dirname(at)) return false
  }
}

import { spawn, type ChildProcessWithoutNullStreams, type SpawnOptionsWithoutStdio } from 'node:child_process'
import { appendFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

/** Where every spawned process group is recorded, so that the global teardown can end what a test left. */
export const PIDS_FILE_NAME = 'children.pids'

const running = new Set<ChildProcessWithoutNullStreams>()

/**
 * `spawn`, in a process group of its own (a build's own workers go with it) that `stopChildren` and the
 * global teardown can end, even when the test that started it timed out.
 */
export function spawnTracked(command: string, args: string[], options: SpawnOptionsWithoutStdio): ChildProcessWithoutNullStreams {
  const child = spawn(command, args, { ...options, detached: true })
  if (child.pid !== undefined) {
    running.add(child)
    appendFileSync(path.join(tmpdir(), PIDS_FILE_NAME), `${child.pid}\n`)
  }
  child.once('exit', () => running.delete(child))
  return child
}

/** Ends every process this test file started that is still running, and waits until they are gone. */
export async function stopChildren(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          child.once('exit', () => resolve())
          killGroup(child.pid!)
          if (child.exitCode !== null || child.signalCode !== null) resolve()
        }),
    ),
  )
}

export function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL')
  } catch {
    // Already gone.
  }
}

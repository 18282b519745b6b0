import { mkdir, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'

/**
 * Writes `file` through a temporary file beside it and a rename, creating its folder: a crash leaves the old
 * file or none, never half of one, and a reader never sees a partial write.
 */
export async function writeFileAtomically(file: string, data: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true })
  const temporary = `${file}.${process.pid}.tmp`
  await writeFile(temporary, data)
  await rename(temporary, file)
}

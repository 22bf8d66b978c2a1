// Replace-a-file-whole: write a temporary file beside it, fsync, rename over the old one, fsync the folder.
// After a crash (kill -9, power loss) the file holds either the old or the new content, never a mix.
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from "node:fs";
import { open, rename } from "node:fs/promises";
import path from "node:path";

const tempName = (file: string) => `${file}.tmp-${process.pid}`;

function syncFolder(file: string): void {
  // Windows cannot open a folder for fsync; NTFS orders the rename's metadata itself.
  if (process.platform === "win32") return;
  const fd = openSync(path.dirname(file), "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function writeFileAtomic(file: string, data: string | Buffer, mode = 0o644): void {
  const temp = tempName(file);
  const fd = openSync(temp, "w", mode);
  try {
    writeSync(fd, typeof data === "string" ? Buffer.from(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, file);
  syncFolder(file);
}

export async function writeFileAtomicAsync(file: string, data: string | Buffer, mode = 0o644): Promise<void> {
  const temp = tempName(file);
  const handle = await open(temp, "w", mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, file);
  if (process.platform !== "win32") {
    const folder = await open(path.dirname(file), "r");
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
  }
}

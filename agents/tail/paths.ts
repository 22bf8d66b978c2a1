// Where a `location` points: a plain path or a glob, on Linux (/var/log/apache2/access.log) or on Windows
// (C:\Apache24\logs\access.log, C:\Apache24\logs\*.log). Globs use forward slashes, so a Windows location is
// turned into a pattern by swapping separators (backslash is not an escape character in Windows paths).
// Everything takes the path flavour as a parameter so the Windows rules are unit tested on Linux.
import path from "node:path";
import { glob, isDynamicPattern } from "tinyglobby";
import type { PathApi } from "../config.js";

export function globPattern(location: string, pathApi: PathApi = path): string {
  return pathApi.sep === "\\" ? location.replace(/\\/g, "/") : location;
}

export function isGlob(location: string, pathApi: PathApi = path): boolean {
  return isDynamicPattern(globPattern(location, pathApi));
}

/** The deepest folder of a location without wildcards: the folder to watch for files appearing or renamed. */
export function watchFolder(location: string, pathApi: PathApi = path): string {
  let folder = pathApi.dirname(location);
  while (isGlob(folder, pathApi) && pathApi.dirname(folder) !== folder) folder = pathApi.dirname(folder);
  return folder;
}

/** Glob results come back with forward slashes; give them back in the platform's own form. */
export function fromGlobResult(found: string, pathApi: PathApi = path): string {
  return pathApi.normalize(pathApi.sep === "\\" ? found.replace(/\//g, "\\") : found);
}

/** The files a location names now: itself (existing or not) for a plain path, the matching files for a glob. */
export async function expandLocation(location: string, pathApi: PathApi = path): Promise<string[]> {
  if (!isGlob(location, pathApi)) return [location];
  const found = await glob(globPattern(location, pathApi), { absolute: true, onlyFiles: true, dot: true, followSymbolicLinks: true });
  return found.map((f) => fromGlobResult(f, pathApi)).sort();
}

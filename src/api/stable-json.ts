/**
 * JSON with every object's keys in ascending UTF-16 code-unit order, at every
 * depth, so equal data always gives equal bytes whatever order its keys were
 * inserted in. (JSON.stringify follows insertion order, except that keys that
 * look like array indices, such as an app slug "123", always come first.)
 *
 * For plain JSON data only: strings, finite numbers, booleans, null, arrays
 * and plain objects. As with JSON.stringify, an object property whose value
 * is undefined is left out and an undefined array element becomes null; a
 * non-finite number becomes null. Anything else (bigint, function, symbol, a
 * class instance with toJSON) is a TypeError rather than a silent surprise.
 */
export function stableStringify(value: unknown): string {
  return write(value);
}

// Built by string concatenation (V8 joins the pieces lazily, once): several
// times faster than collecting pieces in an array for large outputs.
function write(value: unknown): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
      return Number.isFinite(value) ? String(value) : "null";
    case "boolean":
      return value ? "true" : "false";
    case "object": {
      if (value === null) return "null";
      if (Array.isArray(value)) return writeArray(value);
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto === Object.prototype || proto === null) return writeObject(value as Record<string, unknown>);
      throw new TypeError("stableStringify: only plain objects and arrays are supported");
    }
    default:
      throw new TypeError(`stableStringify: unsupported value of type ${typeof value}`);
  }
}

function writeArray(items: readonly unknown[]): string {
  let out = "[";
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out += ",";
    const item = items[i];
    out += item === undefined ? "null" : write(item);
  }
  return out + "]";
}

function writeObject(obj: Record<string, unknown>): string {
  const keys = Object.keys(obj);
  // Default sort() compares UTF-16 code units: locale-independent. Objects
  // built in order (the common case) skip it.
  if (!isSorted(keys)) keys.sort();
  let out = "{";
  let first = true;
  for (const key of keys) {
    const v = obj[key];
    if (v === undefined) continue;
    out += `${first ? "" : ","}${JSON.stringify(key)}:${write(v)}`;
    first = false;
  }
  return out + "}";
}

function isSorted(keys: readonly string[]): boolean {
  for (let i = 1; i < keys.length; i++) if ((keys[i - 1] as string) > (keys[i] as string)) return false;
  return true;
}

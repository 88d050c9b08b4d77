/** A timestamp in the browser's time zone, machine-readable in dateTime. Nothing for null. */
export function TimeText({ iso, relative = false }: { iso: string | null | undefined; relative?: boolean }) {
  if (!iso) return <span className="muted">never</span>;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return <span>{iso}</span>;
  const full = d.toLocaleString();
  return (
    <time dateTime={d.toISOString()} title={full}>
      {relative ? relativeTime(d, new Date()) : full}
    </time>
  );
}

/** "12 s ago", "5 min ago", "3 h ago", else the local date and time. */
export function relativeTime(d: Date, now: Date): string {
  const s = Math.round((now.getTime() - d.getTime()) / 1000);
  if (s < 0) return d.toLocaleString();
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return d.toLocaleString();
}

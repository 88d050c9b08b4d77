import { httpUrl } from "../../safe-url";

/** An app's URL as a link when it is http(s), else as plain text (never any other scheme as a link). */
export function AppUrlLink({ url }: { url: string }) {
  const href = httpUrl(url);
  if (!href) return <span className="mono">{url}</span>;
  return (
    <a href={href} target="_blank" rel="noopener noreferrer" className="url-link">
      {url}
    </a>
  );
}

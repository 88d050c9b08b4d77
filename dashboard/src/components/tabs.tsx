import { Link, useLocation } from "wouter";

export interface Tab {
  href: string;
  label: string;
}

/** A row of page-level tabs (links); the one matching the path is aria-current. */
export function Tabs({ tabs, label }: { tabs: readonly Tab[]; label: string }) {
  const [location] = useLocation();
  return (
    <nav aria-label={label}>
      <ul className="tabs">
        {tabs.map((t) => {
          const current = location === t.href || location.startsWith(`${t.href}/`);
          return (
            <li key={t.href}>
              <Link href={t.href} aria-current={current ? "page" : undefined}>
                {t.label}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}

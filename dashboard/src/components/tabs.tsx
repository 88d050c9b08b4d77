import { Link, useLocation } from "wouter";

export interface Tab {
  href: string;
  label: string;
  /** Current only on exactly this path (a parent path whose children are other tabs). */
  exact?: boolean;
}

/** A row of page-level tabs (links); the one matching the path is aria-current. */
export function Tabs({ tabs, label }: { tabs: readonly Tab[]; label: string }) {
  const [location] = useLocation();
  return (
    <nav aria-label={label}>
      <ul className="tabs">
        {tabs.map((t) => {
          const current = location === t.href || (!t.exact && location.startsWith(`${t.href}/`));
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

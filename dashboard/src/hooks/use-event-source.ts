import { useEffect, useRef, useState } from "react";
import { API_BASE } from "../api/client";

export type StreamState = "connecting" | "open" | "ended" | "error";

/**
 * Follows a server-sent-events stream of the user API (`path` under
 * /api/v1; null: none). Each named event's JSON data goes to
 * `handlers[name]`. The stream is closed on unmount, when the path changes,
 * when the server sends `end` (handed to `handlers.end` first), and on an
 * error: the browser's automatic reconnect would replay the tail as
 * duplicates, so a dropped stream is reported ("error") and the caller
 * offers to reconnect (change `generation`).
 */
export function useEventSource(
  path: string | null,
  handlers: Record<string, (data: unknown) => void>,
  generation = 0,
): StreamState {
  const [state, setState] = useState<StreamState>("connecting");
  const handlersRef = useRef(handlers);
  useEffect(() => {
    handlersRef.current = handlers;
  });

  useEffect(() => {
    if (path === null) return;
    const es = new EventSource(API_BASE + path, { withCredentials: true });
    let finished = false;
    const listen = (name: string) => (ev: MessageEvent<string>) => {
      let data: unknown = undefined;
      try {
        data = JSON.parse(ev.data);
      } catch {
        return;
      }
      handlersRef.current[name]?.(data);
      if (name === "end") {
        finished = true;
        es.close();
        setState("ended");
      }
    };
    const names = new Set([...Object.keys(handlersRef.current), "end"]);
    const listeners = [...names].map((n) => [n, listen(n)] as const);
    for (const [n, l] of listeners) es.addEventListener(n, l as EventListener);
    es.onopen = () => setState("open");
    es.onerror = () => {
      if (finished) return;
      es.close();
      setState("error");
    };
    return () => {
      for (const [n, l] of listeners) es.removeEventListener(n, l as EventListener);
      es.close();
      setState("connecting");
    };
  }, [path, generation]);

  return state;
}

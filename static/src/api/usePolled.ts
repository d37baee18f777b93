// An answer the server may change on its own (a run's place in the queue, a class's
// marks), asked for at once and again every `every` milliseconds while the component
// shows it; a refused ask keeps the last answer.
import { useEffect, useState } from "react";

export function usePolled<T>(ask: () => Promise<T>, every: number, key: string): T | null {
  const [answer, setAnswer] = useState<T | null>(null);
  useEffect(() => {
    let live = true;
    const read = () => ask().then((found) => live && setAnswer(found), () => undefined);
    void read();
    const timer = window.setInterval(read, every);
    return () => {
      live = false;
      window.clearInterval(timer);
    };
  }, [key, every]); // eslint-disable-line react-hooks/exhaustive-deps
  return answer;
}

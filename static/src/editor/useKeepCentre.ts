// When the canvas changes size (the dock below it opens or is dragged), the view moves by
// half the change, so what was in the middle of the canvas stays there instead of sliding
// off an edge.
import { useReactFlow } from "@xyflow/react";
import { useEffect, type RefObject } from "react";

export function useKeepCentre(box: RefObject<HTMLElement | null>): void {
  const flow = useReactFlow();
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    let last = { width: element.clientWidth, height: element.clientHeight };
    const observer = new ResizeObserver(() => {
      const size = { width: element.clientWidth, height: element.clientHeight };
      const [dw, dh] = [size.width - last.width, size.height - last.height];
      const shown = last.width > 0 && last.height > 0; // not from nothing: fitView places that
      last = size;
      if (!shown || (dw === 0 && dh === 0)) return;
      const { x, y, zoom } = flow.getViewport();
      void flow.setViewport({ x: x + dw / 2, y: y + dh / 2, zoom });
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, [box, flow]);
}

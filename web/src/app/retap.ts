// Tapping the tab of the screen one is already on refreshes that screen, as people expect of
// apps on their phone. The shell announces the tap; the screen listens.

import { useEffect, useEffectEvent } from "react";

const taps = new EventTarget();

/** Announces that the tab `key` was tapped while its screen was showing. */
export function retap(key: string): void {
  taps.dispatchEvent(new Event(key));
}

/** Runs `onRetap` whenever the tab `key` is tapped again while this screen shows. */
export function useRetap(key: string, onRetap: () => void): void {
  const handler = useEffectEvent(onRetap);
  useEffect(() => {
    const listener = () => handler();
    taps.addEventListener(key, listener);
    return () => taps.removeEventListener(key, listener);
  }, [key]);
}

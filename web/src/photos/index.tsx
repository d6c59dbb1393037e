// What the screens use of the photos, loaded on demand: this file is small and may be imported
// anywhere; EXIF, hashing, resizing, the queue and the viewer load with the first photo shown or
// the first form that takes one, keeping them out of the first load's budget.

import { lazy, Suspense, useEffect, type ComponentProps } from "react";

import { useClient } from "../app/context";

const LazyStrip = lazy(() => import("./PhotoStrip"));
const LazyPicker = lazy(() => import("./PhotoPicker"));
const LazyPairs = lazy(() => import("./BeforeAfter"));
const LazySiteCheck = lazy(() => import("./SiteCheck"));
const LazyAttachments = lazy(() => import("./AttachmentList"));
const LazyAttachmentPicker = lazy(() => import("./AttachmentPicker"));

/** The files (not photos) of an entry, each downloadable (nothing when it has none). */
export function AttachmentList(props: ComponentProps<typeof LazyAttachments>) {
  if (props.attachments.length === 0) return null;
  return (
    <Suspense fallback={null}>
      <LazyAttachments {...props} />
    </Suspense>
  );
}

/** The file input of a form, with the files chosen so far. */
export function AttachmentPicker(props: ComponentProps<typeof LazyAttachmentPicker>) {
  return (
    <Suspense fallback={null}>
      <LazyAttachmentPicker {...props} />
    </Suspense>
  );
}

/** Thumbnails of an entry's photos (nothing when it has none). */
export function PhotoStrip(props: ComponentProps<typeof LazyStrip>) {
  if (props.photos.length === 0) return null;
  return (
    <Suspense fallback={null}>
      <LazyStrip {...props} />
    </Suspense>
  );
}

/** Camera and gallery inputs for a form, with the photos taken so far. */
export function PhotoPicker(props: ComponentProps<typeof LazyPicker>) {
  return (
    <Suspense fallback={null}>
      <LazyPicker {...props} />
    </Suspense>
  );
}

/** 整改前 / 整改后 side by side. */
export function BeforeAfter(props: ComponentProps<typeof LazyPairs>) {
  if (props.before.length + props.after.length === 0) return null;
  return (
    <Suspense fallback={null}>
      <LazyPairs {...props} />
    </Suspense>
  );
}

/** The 现场督办 button and form of a 督办事项. */
export function SiteCheck(props: ComponentProps<typeof LazySiteCheck>) {
  return (
    <Suspense fallback={null}>
      <LazySiteCheck {...props} />
    </Suspense>
  );
}

/**
 * Runs the signed-in user's photo upload queue while the app is open: mounted once in the
 * shell, so photos waiting from an earlier day go up without anyone opening their record.
 * The sync socket connecting counts as "the network is back", as the `online` event does.
 */
export function PhotoUploads() {
  const client = useClient();
  useEffect(() => {
    let live = true;
    let stop = () => {};
    void import("./queue")
      .then(({ photoQueue }) => photoQueue(client.user.id))
      .then((queue) => {
        if (!live) return;
        const stopQueue = queue.start();
        let connected = client.net.get().connected;
        const unsubscribe = client.net.subscribe(() => {
          const now = client.net.get().connected;
          if (now && !connected) queue.networkBack();
          connected = now;
        });
        stop = () => {
          unsubscribe();
          stopQueue();
        };
      })
      .catch((error: unknown) => console.error("photo queue", error));
    return () => {
      live = false;
      stop();
    };
  }, [client]);
  return null;
}

// Where a visit took place: the device's location, taken when the visit form opens (and again
// on request), shown with its accuracy; an accuracy of exactly 0, how mocked locations usually
// show, is flagged as it is on photos.

import { useEffect, useState } from "react";
import { Button } from "antd-mobile";

import { deviceLocation } from "../photos/capture";
import type { Geo } from "../generated/records";
import { useT, type Translate } from "../i18n";

/** The location in words, e.g. "位置：31.23, 121.47（精度 12 米）", flagged when mocked. */
export function locationLabel(t: Translate, geo: Geo): string {
  const where = t("visit.located", { lat: geo.lat.toFixed(5), lng: geo.lng.toFixed(5), acc: Math.round(geo.accuracy * 10) / 10 });
  return geo.accuracy === 0 ? `${where} · ${t("visit.mock_location")}` : where;
}

/** A visit's recorded location, for the list of visits. */
export function VisitPlace({ geo }: { geo: Geo | null | undefined }) {
  const t = useT();
  if (!geo) return null;
  const mocked = geo.accuracy === 0;
  return (
    <div className={`hint${mocked ? " is-mocked" : ""}`} data-testid="visit-geo" data-mocked={mocked ? "true" : undefined}>
      {locationLabel(t, geo)}
    </div>
  );
}

/** The location input of the visit form: taken at once, retaken on request. */
export function VisitLocation({ value, onChange }: { value: Geo | null; onChange: (geo: Geo | null) => void }) {
  const t = useT();
  // Starts "locating": the first fix is asked for when the form opens.
  const [state, setState] = useState<"locating" | "done">("locating");
  const ask = () =>
    deviceLocation().then((geo) => {
      onChange(geo);
      setState("done");
    });
  const locate = () => {
    setState("locating");
    void ask();
  };
  // Once, when the form opens: the visit is logged where it happens.
  // eslint-disable-next-line react-hooks/exhaustive-deps
  useEffect(() => void ask(), []);
  return (
    <div className="visit-location" data-testid="visit-location" data-state={state}>
      {state === "locating" ? (
        <span className="hint">{t("visit.locating")}</span>
      ) : value ? (
        <VisitPlace geo={value} />
      ) : (
        <span className="hint">{t("visit.no_location")}</span>
      )}
      <Button size="mini" fill="none" data-testid="visit-locate" disabled={state === "locating"} onClick={locate}>
        {t("visit.locate")}
      </Button>
    </div>
  );
}

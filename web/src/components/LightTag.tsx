// 红黄绿灯 as a coloured tag.

import { Tag } from "antd-mobile";

import type { Light } from "../domain/derived";
import { useT } from "../i18n";

const COLORS: Record<Light, string> = { green: "success", yellow: "warning", red: "danger" };

export function LightTag({ light, testid }: { light: Light | null; testid?: string }) {
  const t = useT();
  if (!light) {
    return (
      <Tag color="default" fill="outline" data-testid={testid} data-light="none">
        {t("light.none")}
      </Tag>
    );
  }
  return (
    <Tag color={COLORS[light]} data-testid={testid} data-light={light}>
      {t(`light.${light}`)}
    </Tag>
  );
}

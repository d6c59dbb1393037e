// The photo and attachment screens' words, zh-CN first, English second. Kept beside the photo code (which
// loads on demand) rather than in the app's dictionaries, so they stay out of the first load.

import { useLang } from "../i18n";

const zh = {
  "photo.add": "添加照片",
  "photo.camera": "拍照",
  "photo.gallery": "相册",
  "photo.keep_original": "保留原图",
  "photo.processing": "正在处理照片…",
  "photo.remove": "移除",
  "photo.too_many": "每条记录最多 {n} 张照片",
  "photo.waiting": "待上传",
  "photo.sending": "上传中 {percent}%",
  "photo.uploaded": "已上传",
  "photo.failed": "上传失败",
  "photo.retry": "重试",
  "photo.will_retry": "将自动重试",
  "photo.remove_from_phone": "从手机删除",
  "photo.remove_confirm": "服务器不接受这张照片。从手机删除后，照片将永久丢失，无法找回；记录仍保留它的条目，在本机显示为“未上传（已从手机删除）”。确定删除？",
  "photo.remove_confirm_ok": "删除照片",
  "photo.cancel": "取消",
  "photo.removed": "未上传（已从手机删除）",
  "photo.removed_note": "这张照片未上传到服务器，已从拍摄的手机上删除",
  "photo.not_on_server": "照片尚在拍摄人的手机上，上传后显示",
  "photo.offline": "离线，联网后显示",
  "photo.no_preview": "无法预览",
  "photo.full_needs_network": "原图需联网查看",
  "photo.taken_at": "拍摄时间",
  "photo.place": "拍摄地点",
  "photo.no_place": "无位置信息",
  "photo.accuracy": "精度 ±{m} 米",
  "photo.accuracy_unknown": "精度未知",
  "photo.mocked": "疑似模拟定位（精度为 0）",
  "photo.by": "拍摄人",
  "photo.size": "{w}×{h}，{kb} KB",
  "photo.close": "关闭",
  "photo.prev": "上一张",
  "photo.next": "下一张",
  "photo.before": "整改前",
  "photo.after": "整改后",
  "photo.error.not_an_image": "不是照片文件（只接受 JPEG、PNG、WebP、HEIC）",
  "photo.error.storage_full": "手机存储空间不足，照片未保存",
  "photo.error.unreadable": "无法读取该文件",
  "photo.error.too_large": "照片过大，服务器不接受",
  "photo.error.hash_mismatch": "照片数据与校验值不符，请重新拍摄",
  "photo.error.bytes_missing": "本机已找不到该照片的数据",
  "photo.error.offline": "无网络",
  "photo.error.session_ended": "登录已失效，重新登录后继续上传",
  "photo.error.too_many_uploads": "服务器繁忙",
  "photo.error.unsupported_type": "不支持的文件类型",
  "attach.add": "添加附件",
  "attach.hint": "PDF、Word、Excel、WPS、文本，单个不超过 20 MB",
  "attach.waiting": "待上传",
  "attach.sending": "上传中",
  "attach.size": "{kb} KB",
  "attach.too_many": "每条记录最多 {n} 个附件",
  "attach.not_on_server": "附件尚在上传人的手机上，上传后可下载",
  "attach.error.unsupported_type": "不支持的文件类型（只接受 PDF、Word、Excel、WPS、ODF 文档和纯文本）",
  "attach.error.too_large": "文件过大（单个附件不超过 {mb} MB）",
  "site.add": "现场督办",
  "site.place": "地点",
  "site.findings": "发现的问题",
  "site.submit": "提交",
  "site.cancel": "取消",
  "site.required": "请填写地点和发现的问题",
  "site.busy": "请等照片处理完成",
};

export type PhotoMessage = keyof typeof zh;

const en: Record<PhotoMessage, string> = {
  "photo.add": "Add photos",
  "photo.camera": "Camera",
  "photo.gallery": "Gallery",
  "photo.keep_original": "Keep original",
  "photo.processing": "Processing photos…",
  "photo.remove": "Remove",
  "photo.too_many": "At most {n} photos per entry",
  "photo.waiting": "Waiting to upload",
  "photo.sending": "Uploading {percent}%",
  "photo.uploaded": "Uploaded",
  "photo.failed": "Upload failed",
  "photo.retry": "Retry",
  "photo.will_retry": "will retry by itself",
  "photo.remove_from_phone": "Remove from phone",
  "photo.remove_confirm": "The server refuses this photo. Removing it from the phone loses it for good; the record keeps its entry, shown here as \"not uploaded (removed from the phone)\". Remove it?",
  "photo.remove_confirm_ok": "Remove photo",
  "photo.cancel": "Cancel",
  "photo.removed": "Not uploaded (removed from the phone)",
  "photo.removed_note": "This photo never reached the server and was removed from the phone that took it",
  "photo.not_on_server": "Still on the phone that took it; shown once uploaded",
  "photo.offline": "Offline; shown when back online",
  "photo.no_preview": "No preview",
  "photo.full_needs_network": "The full photo needs the network",
  "photo.taken_at": "Taken",
  "photo.place": "Place",
  "photo.no_place": "No location",
  "photo.accuracy": "within {m} m",
  "photo.accuracy_unknown": "accuracy unknown",
  "photo.mocked": "Possibly a mocked location (accuracy 0)",
  "photo.by": "By",
  "photo.size": "{w}×{h}, {kb} KB",
  "photo.close": "Close",
  "photo.prev": "Previous",
  "photo.next": "Next",
  "photo.before": "Before",
  "photo.after": "After",
  "photo.error.not_an_image": "Not a photo (JPEG, PNG, WebP or HEIC only)",
  "photo.error.storage_full": "The phone's storage is full; the photo was not saved",
  "photo.error.unreadable": "The file cannot be read",
  "photo.error.too_large": "The photo is too large for the server",
  "photo.error.hash_mismatch": "The photo's data does not match its checksum; take it again",
  "photo.error.bytes_missing": "The photo's data is no longer on this phone",
  "photo.error.offline": "No network",
  "photo.error.session_ended": "Signed out; uploads continue after signing in",
  "photo.error.too_many_uploads": "The server is busy",
  "photo.error.unsupported_type": "Unsupported file type",
  "attach.add": "Attach files",
  "attach.hint": "PDF, Word, Excel, WPS, text; up to 20 MB each",
  "attach.waiting": "Waiting to upload",
  "attach.sending": "Uploading",
  "attach.size": "{kb} KB",
  "attach.too_many": "At most {n} files per entry",
  "attach.not_on_server": "Still on the uploader's phone; downloadable once uploaded",
  "attach.error.unsupported_type": "Unsupported file type (PDF, Word, Excel, WPS, ODF and plain text only)",
  "attach.error.too_large": "The file is too large (at most {mb} MB)",
  "site.add": "Site check",
  "site.place": "Place",
  "site.findings": "Problems found",
  "site.submit": "Submit",
  "site.cancel": "Cancel",
  "site.required": "Enter the place and what was found",
  "site.busy": "Wait until the photos are processed",
};

export const photoDictionaries = { "zh-CN": zh, en } as const;

export type PhotoT = (key: PhotoMessage, vars?: Record<string, string | number>) => string;

export function photoTranslate(lang: keyof typeof photoDictionaries, key: PhotoMessage, vars?: Record<string, string | number>): string {
  const template = photoDictionaries[lang][key];
  return vars ? template.replace(/\{(\w+)\}/g, (m, name: string) => String(vars[name] ?? m)) : template;
}

export function usePhotoT(): PhotoT {
  const lang = useLang();
  return (key, vars) => photoTranslate(lang, key, vars);
}

/** A failure's words: ours for the codes we know, else the server's message. */
export function errorText(t: PhotoT, error: { code: string; message: string }): string {
  const key = `photo.error.${error.code}` as PhotoMessage;
  return key in zh ? t(key) : error.message;
}

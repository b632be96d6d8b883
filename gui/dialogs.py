"""Every question the window asks, in one place (tests replace it with scripted answers)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp);;All files (*)"
CONTENT_FILTER = (
    "Images and clips (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp *.mp4 *.mov *.m4v *.mkv *.webm *.avi);;"
    + IMAGE_FILTER
)
CLIP_OUTPUTS = (".mp4", ".mov", ".mkv")
PRESET_FILTER = "Brushwork presets (*.json);;All files (*)"


class Dialogs:
    def __init__(self, parent: QWidget) -> None:
        self.parent = parent

    def open_image(self, title: str, folder: str, clips: bool = False) -> Path | None:
        """An image to open; with ``clips``, a video clip too (for the Content well)."""
        path, _ = QFileDialog.getOpenFileName(self.parent, title, folder, CONTENT_FILTER if clips else IMAGE_FILTER)
        return Path(path) if path else None

    def clip_output_path(self, suggested: Path) -> Path | None:
        """Where a painted clip goes: an MP4, MOV or MKV file."""
        path, _ = QFileDialog.getSaveFileName(
            self.parent,
            "Render the clip into",
            str(suggested),
            "MP4 video (*.mp4);;QuickTime (*.mov);;Matroska (*.mkv)",
        )
        if not path:
            return None
        path = Path(path)
        return path if path.suffix.lower() in CLIP_OUTPUTS else path.with_suffix(".mp4")

    def save_image(self, suggested: Path) -> Path | None:
        path, _ = QFileDialog.getSaveFileName(
            self.parent, "Save picture", str(suggested), "PNG image (*.png);;JPEG image (*.jpg *.jpeg)"
        )
        if not path:
            return None
        path = Path(path)
        return path if path.suffix.lower() in (".png", ".jpg", ".jpeg") else path.with_suffix(".png")

    def open_mask(self, folder: str) -> Path | None:
        path, _ = QFileDialog.getOpenFileName(self.parent, "Import region mask", folder, IMAGE_FILTER)
        return Path(path) if path else None

    def export_mask_path(self, suggested: Path) -> Path | None:
        path, _ = QFileDialog.getSaveFileName(self.parent, "Export region mask", str(suggested), "PNG image (*.png)")
        return Path(path) if path else None

    def open_preset(self, folder: str) -> Path | None:
        path, _ = QFileDialog.getOpenFileName(self.parent, "Import preset", folder, PRESET_FILTER)
        return Path(path) if path else None

    def save_preset(self, suggested: Path) -> Path | None:
        path, _ = QFileDialog.getSaveFileName(self.parent, "Export preset", str(suggested), PRESET_FILTER)
        return Path(path) if path else None

    def open_weights(self, folder: str) -> Path | None:
        path, _ = QFileDialog.getOpenFileName(
            self.parent, "VGG19 weights file", folder, "PyTorch state dicts (*.pth *.pt *.bin);;All files (*)"
        )
        return Path(path) if path else None

    def ask_text(self, title: str, label: str, default: str = "") -> str | None:
        text, ok = QInputDialog.getText(self.parent, title, label, text=default)
        return text.strip() if ok and text.strip() else None

    def export_options(self, painted_side: int, target_side: int, has_16_bits: bool):
        """(ExportOptions, suffix) from the export dialog, or None if cancelled."""
        from .panels.export_dialog import ExportDialog

        dialog = ExportDialog(painted_side, target_side, has_16_bits, self.parent)
        return dialog.chosen() if dialog.exec() == ExportDialog.DialogCode.Accepted else None

    def export_path(self, suggested: Path) -> Path | None:
        path, _ = QFileDialog.getSaveFileName(self.parent, "Export picture", str(suggested))
        return Path(path) if path else None

    def timelapse_path(self, suggested: Path, suffix: str) -> Path | None:
        """Where a time-lapse goes: ``suffix`` is the format chosen in its dialog."""
        name = "MP4 video (*.mp4)" if suffix == ".mp4" else "GIF animation (*.gif)"
        path, _ = QFileDialog.getSaveFileName(self.parent, "Export time-lapse", str(suggested), name)
        return Path(path) if path else None

    def print_output_path(self, suggested: Path) -> Path | None:
        """Where a print render writes: a 16-bit PNG or TIFF."""
        path, chosen = QFileDialog.getSaveFileName(
            self.parent, "Render at print size into", str(suggested), "PNG image (*.png);;TIFF image (*.tif *.tiff)"
        )
        if not path:
            return None
        path = Path(path)
        if path.suffix.lower() not in (".png", ".tif", ".tiff"):
            path = path.with_suffix(".tif" if chosen.startswith("TIFF") else ".png")
        return path

    def about(self, text: str) -> None:
        QMessageBox.about(self.parent, "About Brushwork", text)

    def confirm(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self.parent, title, text)
        return answer == QMessageBox.StandardButton.Yes

    def partial_picture(
        self, shown: tuple[int, int], target: tuple[int, int], notes: tuple[str, ...] = (), action: str = "Save"
    ) -> str:
        """The picture is from an earlier, smaller scale, or falls short as ``notes`` say: 'enlarge' (offered
        only when ``shown`` is smaller than ``target``), 'as_is' or 'cancel'."""
        smaller = shown[0] < target[0]
        text = ""
        if smaller:
            text = (
                f"The picture is {shown[0]} x {shown[1]} px: the run has not reached its "
                f"{target[0]} x {target[1]} px scale yet. Save it enlarged to {target[0]} x {target[1]}, "
                "or as it is? (Or cancel and let the run finish first.)"
            )
        if notes:
            said = "\n".join(f"- {note}" for note in notes)
            text = f"{text}\n\n" if text else ""
            text += f"The picture does not show what is set now:\n{said}\n\n{action} it as it is?"
        title = "Save a picture in progress" if smaller else f"{action} a picture that is not up to date"
        box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.Cancel, self.parent)
        answers = {}
        if smaller:
            enlarge = box.addButton(f"Enlarge to {target[0]} x {target[1]}", QMessageBox.ButtonRole.AcceptRole)
            answers[enlarge] = "enlarge"
        answers[box.addButton(f"{action} {shown[0]} x {shown[1]}", QMessageBox.ButtonRole.AcceptRole)] = "as_is"
        box.exec()
        return answers.get(box.clickedButton(), "cancel")

    def unsaved_picture(self) -> str:
        """'save', 'discard' or 'cancel'."""
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Unsaved picture",
            "The current picture has not been saved. Save it before closing?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            self.parent,
        )
        answer = box.exec()
        return {
            QMessageBox.StandardButton.Save: "save",
            QMessageBox.StandardButton.Discard: "discard",
        }.get(QMessageBox.StandardButton(answer), "cancel")

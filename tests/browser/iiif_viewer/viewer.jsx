// Clover IIIF's Viewer on the page, showing the manifest named by ?manifest=.
import React from "react";
import { createRoot } from "react-dom/client";
import Viewer from "@samvera/clover-iiif/viewer";

const manifest = new URLSearchParams(location.search).get("manifest");
createRoot(document.getElementById("viewer")).render(<Viewer iiifContent={manifest} />);

package autoassign.data;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.xml.sax.SAXException;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One PASCAL VOC annotation XML as written: the {@code <size>} and each direct {@code <object>} child of the root
 * (its name, {@code <difficult>} and {@code <bndbox>} corners, as text). MMDetection reads the numbers two ways, both
 * here: its converter with {@code int(text)} ({@link #integer}), its XMLDataset with {@code int(float(text))}
 * ({@link #truncated}).
 *
 * @param width   {@code <size><width>}, or null when the file has no {@code <size>}
 * @param height  {@code <size><height>}, or null likewise
 * @param objects the objects in file order
 * @param folder  {@code <folder>}'s text as written, or null (WIDER Face's image folder)
 */
record VocXml(String width, String height, List<VocXml.Obj> objects, String folder) {

    /**
     * An {@code <object>}: its name (the text as written), {@code <difficult>} (null when absent) and the
     * {@code <bndbox>} corners (null when absent: MMDetection reads them only for objects of a class, see {@link #need}).
     */
    record Obj(String name, String difficult, String xmin, String ymin, String xmax, String ymax) {}

    /** A corner that an object of a class must have: else a one-line error naming the file, as MMDetection fails there. */
    static String need(Path xml, String tag, String text) {
        if (text == null) throw new DataException(xml + ": an <object> of a class has no <bndbox> with a <" + tag + ">");
        return text;
    }

    private static String corner(Element box, String tag) {
        Element e = box == null ? null : optionalChild(box, tag);
        return e == null ? null : e.getTextContent().strip();
    }

    static VocXml read(Path xml) {
        Document doc;
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true); // no external entities from annotation files
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            javax.xml.parsers.DocumentBuilder b = f.newDocumentBuilder();
            b.setErrorHandler(new org.xml.sax.helpers.DefaultHandler() { // report through the exception only: no stderr line
                @Override public void fatalError(org.xml.sax.SAXParseException e) throws SAXException { throw e; }
                @Override public void error(org.xml.sax.SAXParseException e) throws SAXException { throw e; }
            });
            doc = b.parse(xml.toFile());
        } catch (IOException e) {
            throw new DataException(xml + ": cannot read: " + e.getMessage());
        } catch (SAXException | ParserConfigurationException e) {
            throw new DataException(xml + ": not a readable XML file: " + e.getMessage());
        }
        Element root = doc.getDocumentElement();
        Element size = optionalChild(root, "size");
        List<Obj> objects = new ArrayList<>();
        for (org.w3c.dom.Node n = root.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (!(n instanceof Element o) || !o.getTagName().equals("object")) continue; // ET's findall('object')
            Element box = optionalChild(o, "bndbox"); // read only for objects of a class, as MMDetection does
            Element difficult = optionalChild(o, "difficult");
            // the name as ET's .text, not stripped: MMDetection compares it with the classes as written
            objects.add(new Obj(child(xml, o, "name").getTextContent(), difficult == null ? null : difficult.getTextContent().strip(),
                    corner(box, "xmin"), corner(box, "ymin"), corner(box, "xmax"), corner(box, "ymax")));
        }
        Element folder = optionalChild(root, "folder");
        return new VocXml(size == null ? null : text(xml, size, "width"), size == null ? null : text(xml, size, "height"),
                objects, folder == null ? null : folder.getTextContent()); // as ET's .text: joined into the path unstripped
    }

    /**
     * The ids of an image list ({@code ImageSets/Main/<split>.txt}), a line each, stripped; blank lines are skipped
     * (mmengine's {@code list_from_file} would take one as an id and fail).
     */
    static List<String> imageIds(Path list) {
        try {
            List<String> out = new ArrayList<>();
            for (String line : java.nio.file.Files.readAllLines(list, java.nio.charset.StandardCharsets.UTF_8))
                if (!line.strip().isEmpty()) out.add(line.strip());
            return out;
        } catch (java.nio.file.NoSuchFileException e) {
            throw new DataException(list + ": no such image list (ann_file)");
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new DataException(list + ": not valid UTF-8 text (an image list, one id per line)");
        } catch (IOException e) {
            throw new DataException(list + ": cannot read: " + e.getMessage());
        }
    }

    /** Python's {@code int(text)}: an integer, else a one-line error naming the file and the tag. */
    static int integer(Path xml, String tag, String text) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new DataException(xml + ": <" + tag + "> must be an integer, got '" + text + "'");
        }
    }

    /** Python's {@code int(float(text))}: a number truncated toward zero ("273.5" is 273). */
    static int truncated(Path xml, String tag, String text) {
        try {
            double v = Double.parseDouble(text);
            if (!Double.isFinite(v) || Math.abs(v) > Integer.MAX_VALUE) throw new NumberFormatException();
            return (int) v;
        } catch (NumberFormatException e) {
            throw new DataException(xml + ": <" + tag + "> must be a number, got '" + text + "'");
        }
    }

    /** The first direct child element named {@code tag} (a person's {@code <part>}s have their own boxes). */
    private static Element child(Path xml, Element parent, String tag) {
        Element e = optionalChild(parent, tag);
        if (e == null) throw new DataException(xml + ": <" + parent.getTagName() + "> has no <" + tag + ">");
        return e;
    }

    private static Element optionalChild(Element parent, String tag) {
        for (org.w3c.dom.Node n = parent.getFirstChild(); n != null; n = n.getNextSibling())
            if (n instanceof Element e && e.getTagName().equals(tag)) return e;
        return null;
    }

    private static String text(Path xml, Element parent, String tag) {
        return child(xml, parent, tag).getTextContent().strip();
    }
}

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * {@code java TrimNatives.java JAR NATIVE_REGEX KEEP_PREFIX}: rewrites JAR without the entries
 * that match NATIVE_REGEX unless they start with KEEP_PREFIX (native libraries for other
 * platforms). Everything else, the manifest first, is copied as it was. Prints what it dropped.
 */
public class TrimNatives {
    public static void main(String[] args) throws IOException {
        Path jar = Path.of(args[0]);
        Pattern natives = Pattern.compile(args[1]);
        String keep = args[2];
        Path out = Files.createTempFile(jar.getParent(), "trim", ".jar");
        long dropped = 0;
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(jar));
                ZipOutputStream zout = new ZipOutputStream(Files.newOutputStream(out))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null;) {
                if (!e.isDirectory() && natives.matcher(e.getName()).matches() && !e.getName().startsWith(keep)) {
                    dropped += in.transferTo(OutputStream.nullOutputStream());
                    continue;
                }
                ZipEntry copy = new ZipEntry(e.getName());
                copy.setTime(e.getTime());
                zout.putNextEntry(copy);
                in.transferTo(zout);
                zout.closeEntry();
            }
        }
        // createTempFile made it rw------- : an image unpacked by root and run by the besip user must read it
        Files.setPosixFilePermissions(out, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        Files.move(out, jar, StandardCopyOption.REPLACE_EXISTING);
        System.out.println(jar.getFileName() + ": " + dropped / 1024 + " KiB of other platforms' native code dropped");
    }
}

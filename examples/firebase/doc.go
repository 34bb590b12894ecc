// Package firebase is the Firebase example: the command in cmd/firebasectl
// signs a user in with Firebase Authentication (package
// sdk/firebase/fbauth), keeps the session in a token file, and writes,
// reads and watches paths of a Realtime Database (package
// sdk/firebase/rtdb) as that user.
package firebase
